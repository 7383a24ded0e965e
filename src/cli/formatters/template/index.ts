// Go text/template for the CLI's --format flags, with docker CLI semantics.
//
// Why not @ctrl/golang-template: it implements only a small regex-driven subset
// (no pipelines, variables, printf, comparisons, whitespace trimming, comments,
// parenthesised pipelines, Go value printing or Go-style error messages), so
// this is a self-contained port of text/template's lexer, parser and executor.
//
// Supported: fields/map keys/method-like fields (functions in the data are
// called with the action's arguments), chains on variables and (pipelines),
// if/else if/else with, with/else with, range (slices, maps in sorted key order,
// ints; $i,$e; else; break/continue), variables (:= and =), pipelines, comments,
// {{- -}} trimming, define/template/block, all Go literal forms except complex,
// Go builtins (and or not len index slice print printf println eq ne lt le gt ge
// html js urlquery call) and docker's (json split join title lower upper pad
// truncate), Go-style parse/exec error messages.
//
// Value model (value.ts): integral numbers are Go ints, others float64; objects
// are maps; null is a nil value ("<nil>"); undefined / missing keys are
// "<no value>". Deliberate leniencies versus typed Go data: field access through
// null/undefined yields <no value> instead of a nil-pointer error; numbers
// compare across int/float; %f/%e/%g accept ints; index on null with a string
// key gives "". Known differences: an integral float literal >= 1e6 such as
// {{1e6}} prints as an int; json keeps object key insertion order (Go sorts map
// keys but keeps struct field order: pass map-like data pre-sorted if needed).
//
// Module map: lexer.ts -> parse.ts (AST in ast.ts, literals in literals.ts) ->
// exec.ts (builtins + docker funcs in funcs.ts, Go value printing in value.ts
// and printf.ts); tabwriter.ts ports Go's text/tabwriter; table.ts applies the
// docker CLI's "table"/"json" --format conventions.
export { Template, parseTemplate } from './template';
export type { ParseOptions } from './template';
export { TemplateSyntaxError } from './parse';
export { TemplateExecError } from './exec';
export { tabwrite, displayWidth, TabFlags, DOCKER_TABLE } from './tabwriter';
export type { TabwriterOptions } from './tabwriter';
export { formatTable, preFormat, isTableFormat, isJSONFormat } from './table';
export { formatValue, jsonEncode } from './value';
export { sprintf, sprint, sprintln } from './printf';
