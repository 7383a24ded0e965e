import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile } from '../../../src/builder/dockerfile';
import { ShellLex } from '../../../src/builder/shell-lex';
import { globToRegExp } from '../../../src/builder/copy';
import { parseJsonArray, parseNameValues, parseWords, parseDuration } from '../../../src/builder/words';

test('instructions join like moby: continuations, comments and blank lines inside them dropped', () => {
  const df = parseDockerfile('FROM busybox\nRUN echo a \\\n# note\n\n  && echo b\nCOPY --chown=1:2 --from=x a /b/\n');
  assert.deepEqual(df.instructions.map((i) => i.cmd), ['from', 'run', 'copy']);
  assert.equal(df.instructions[1].original, 'RUN echo a   && echo b');
  assert.deepEqual(df.instructions[2].flags, [{ name: 'chown', value: '1:2' }, { name: 'from', value: 'x' }]);
  assert.equal(df.instructions[2].args, 'a /b/');
});

test('escape directive and heredocs', () => {
  const df = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\nRUN <<EOF\necho hi\nEOF\nCOPY <<-"X" /f\n\tkeep $A\n\tX\n');
  assert.equal(df.escape, '`');
  assert.equal(df.instructions[1].original, 'RUN echo a   b');
  assert.deepEqual(df.instructions[2].heredocs, [{ name: 'EOF', content: 'echo hi\n', expand: true }]);
  assert.deepEqual(df.instructions[3].heredocs, [{ name: 'X', content: 'keep $A\n', expand: false }]);
});

test('variable substitution with Docker\'s modifiers and quoting', () => {
  const lex = new ShellLex();
  const env = ['SET=yes', 'EMPTY='];
  assert.equal(lex.word('${SET:-d} ${UNSET:-d} ${EMPTY:-d} ${EMPTY-d}', env), 'yes d d ');
  assert.equal(lex.word('${SET:+a} ${UNSET:+a} ${EMPTY+p}', env), 'a  p');
  assert.equal(lex.word('"$SET x" \'$SET\' \\$SET $SET$SET', env), 'yes x $SET $SET yesyes');
  assert.deepEqual(lex.words('a "b c" d\\ e', env), ['a', 'b c', 'd e']);
  assert.throws(() => lex.word('${UNSET:?must be set}', env), /UNSET: must be set/);
});

test('words, exec form, name=value lists and durations', () => {
  assert.deepEqual(parseWords('A=1 B="x y" C=z\\ w'), ['A=1', 'B="x y"', 'C=z\\ w']);
  assert.deepEqual(parseJsonArray('["a", "b"]'), ['a', 'b']);
  assert.equal(parseJsonArray('[not json'), null);
  assert.deepEqual(parseNameValues('KEY some value', 'env'), [{ key: 'KEY', value: 'some value', legacy: true }]);
  assert.throws(() => parseNameValues('KEY', 'env'), /ENV must have two arguments/);
  assert.equal(parseDuration('--interval', '1m30s'), 90e9);
  assert.throws(() => parseDuration('--interval', '5x'), /invalid duration/);
});

test('COPY wildcards match like Go filepath.Match', () => {
  assert.ok(globToRegExp('*.txt').test('a.txt'));
  assert.ok(!globToRegExp('*.txt').test('d/a.txt'));
  assert.ok(globToRegExp('a?.log').test('a1.log'));
  assert.ok(globToRegExp('[ot]*.md').test('three.md'));
  assert.ok(!globToRegExp('[ot]*.md').test('x.md'));
});
