import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, TemplateSyntaxError } from '../../../src/cli/formatters/template';
import { parseError } from './helpers';

test('syntax errors use Go text/template messages', () => {
  parseError('{{.ID }', 'template: :1: unexpected "}" in operand');
  parseError('{{.ID}', "template: :1: bad character U+007D '}'");
  parseError('{{.ID', 'template: :1: unclosed action');
  parseError('{{if .X}}x', 'template: :1: unexpected EOF');
  parseError('x{{end}}', 'template: :1: unexpected {{end}}');
  parseError('{{else}}', 'template: :1: unexpected {{else}}');
  parseError('{{foo .X}}', 'template: :1: function "foo" not defined');
  parseError('{{$x}}', 'template: :1: undefined variable "$x"');
  parseError('{{range $i, $e := .X}}{{end}}{{$e}}', 'template: :1: undefined variable "$e"');
  parseError('{{}}', 'template: :1: missing value for command');
  parseError('{{if}}{{end}}', 'template: :1: missing value for if');
  parseError('{{range}}{{end}}', 'template: :1: missing value for range');
  parseError('{{.X | "a"}}', 'template: :1: non executable command in pipeline stage 2');
  parseError('{{"abc}}', 'template: :1: unterminated quoted string');
  parseError('{{`abc}}', 'template: :1: unterminated raw quoted string');
  parseError('{{3x}}', 'template: :1: bad number syntax: "3x"');
  parseError('{{break}}', 'template: :1: {{break}} outside {{range}}');
  parseError('{{range .X}}{{else}}{{else}}{{end}}', 'template: :1: expected end; found {{else}}');
  parseError('{{/* x */ .X}}', 'template: :1: comment ends before closing delimiter');
  parseError('{{/* x ', 'template: :1: unclosed comment');
  parseError('{{(.X}}', 'template: :1: unclosed left paren');
  parseError('{{.X)}}', 'template: :1: unexpected right paren');
  parseError('{{#}}', "template: :1: unexpected \"#\" in command");
  parseError('{{"a".X}}', 'template: :1: unexpected . after term "\\"a\\""');
  parseError('a\nb\n{{.X | | .Y}}', 'template: :3: unexpected "|" in command');
  parseError('a\n{{if .X}}\n{{else}}\n', 'template: :4: unexpected EOF');
});

test('syntax errors are TemplateSyntaxError instances', () => {
  assert.throws(() => parseTemplate('{{'), TemplateSyntaxError);
});

test('template name appears in messages when given', () => {
  assert.throws(() => parseTemplate('{{.X', { name: 'fmt' }), /^Error: template: fmt:1: unclosed action$/);
});

test('text without actions and odd delimiters pass through', () => {
  assert.equal(parseTemplate('plain } text {').execute({}), 'plain } text {');
  assert.equal(parseTemplate('').execute({}), '');
  assert.equal(parseTemplate('{{"{{"}}').execute({}), '{{');
  assert.equal(parseTemplate('{{.A}}\n{{.B}}').execute({ A: 1, B: 2 }), '1\n2');
  assert.equal(parseTemplate('{{.A\n}}').execute({ A: 1 }), '1'); // newlines allowed inside actions
  assert.equal(parseTemplate('{{.A | }}').execute({ A: 1 }), '1'); // Go's parser accepts a trailing pipe
});

test('templates can be executed repeatedly with different data', () => {
  const t = parseTemplate('{{.N}}');
  assert.deepEqual([1, 2, 3].map((N) => t.execute({ N })), ['1', '2', '3']);
});
