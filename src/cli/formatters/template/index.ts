// Go text/template for the CLI's --format flags, with docker CLI semantics.
//
// Why not @ctrl/golang-template: it implements only a small regex-driven subset
// (no pipelines, variables, printf, comparisons, whitespace trimming, comments,
// parenthesised pipelines, Go value printing or Go-style error messages), so
// this is a self-contained port of text/template's lexer, parser and executor.
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
