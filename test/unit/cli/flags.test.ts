import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagUsages, parseFlags, UsageError, wrapText, type FlagSpec } from '../../../src/cli/flags';
import { run } from '../../../src/cli/commands/container/run';
import { ps } from '../../../src/cli/commands/container/ps';

const parseRun = (argv: string[]) => parseFlags(argv, run.flags, false);

test('combined short flags: -it, -dit', () => {
  const p = parseRun(['-it', 'busybox', 'sh']);
  assert.equal(p.values.interactive, true);
  assert.equal(p.values.tty, true);
  assert.deepEqual(p.args, ['busybox', 'sh']);
  const q = parseRun(['-dit', 'busybox']);
  assert.equal(q.values.detach, true);
  assert.equal(q.values.tty, true);
});

test('short flag values: -e A -eB=1 -e=C, -p8080:80, and a value ending a combined group', () => {
  const p = parseRun(['-e', 'A', '-eB=1', '-e=C', '-p8080:80', '-itu', 'root', 'img']);
  assert.deepEqual(p.values.env, ['A', 'B=1', 'C']);
  assert.deepEqual(p.values.publish, ['8080:80']);
  assert.equal(p.values.user, 'root');
  assert.deepEqual(p.args, ['img']);
});

test('long flags: --flag=value, --flag value, repeated, bool =false', () => {
  const p = parseRun(['--env=A=1', '--env', 'B', '--name', 'x', '--rm=false', '--sig-proxy=false', '--init', 'img']);
  assert.deepEqual(p.values.env, ['A=1', 'B']);
  assert.equal(p.values.name, 'x');
  assert.equal(p.values.rm, false);
  assert.equal(p.values['sig-proxy'], false);
  assert.equal(p.values.init, true);
  assert.ok(p.changed.has('rm'));
  assert.ok(!p.changed.has('detach'));
});

test('run stops parsing flags at the image: the rest is the command', () => {
  const p = parseRun(['--rm', 'busybox', 'ls', '-la', '--rm', '-e', 'x']);
  assert.deepEqual(p.args, ['busybox', 'ls', '-la', '--rm', '-e', 'x']);
  assert.deepEqual(p.values.env, []);
});

test('-- ends the flags', () => {
  const p = parseRun(['-i', '--', '-notaflag', 'x']);
  assert.deepEqual(p.args, ['-notaflag', 'x']);
  const q = parseFlags(['-a', '--', '-q'], ps.flags, true);
  assert.deepEqual(q.args, ['-q']);
  assert.equal(q.values.quiet, false);
});

test('interspersed commands accept flags after arguments', () => {
  const p = parseFlags(['x', '-q', 'y'], ps.flags, true);
  assert.deepEqual(p.args, ['x', 'y']);
  assert.equal(p.values.quiet, true);
});

test('errors read like pflag\'s', () => {
  assert.throws(() => parseRun(['--foo', 'x']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag: --foo');
  assert.throws(() => parseRun(['-z']), { message: "unknown shorthand flag: 'z' in -z" });
  assert.throws(() => parseRun(['-e']), { message: "flag needs an argument: 'e' in -e" });
  assert.throws(() => parseRun(['--env']), { message: 'flag needs an argument: --env' });
  assert.throws(() => parseFlags(['-n', 'x'], ps.flags), { message: 'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax' });
  assert.throws(() => parseRun(['--rm=maybe', 'x']), { message: 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax' });
});

test('--help and -h (where -h is not a flag) ask for help; run\'s -h is --hostname', () => {
  assert.equal(parseFlags(['--help'], ps.flags).help, true);
  assert.equal(parseFlags(['-h'], ps.flags).help, true);
  const p = parseRun(['-h', 'myhost', 'img']);
  assert.equal(p.help, false);
  assert.equal(p.values.hostname, 'myhost');
});

test('defaults: ps -n is -1, run --pull is missing, --sig-proxy true', () => {
  assert.equal(parseFlags([], ps.flags).values.last, -1);
  const p = parseRun(['img']);
  assert.equal(p.values.pull, 'missing');
  assert.equal(p.values['sig-proxy'], true);
});

test('flag usage lines are laid out and wrapped as docker prints them (79 columns)', () => {
  const text = flagUsages(ps.flags, 79);
  const expected = [
    '  -a, --all             Show all containers (default shows just running)',
    '  -f, --filter filter   Filter output based on conditions provided',
  ];
  assert.deepEqual(text.split('\n').slice(0, 2), expected);
  assert.ok(text.includes('  -n, --last int        Show n last created containers (includes all\n                        states) (default -1)\n'));
  assert.ok(text.includes('  -l, --latest          Show the latest created container (includes all\n                        states)\n'));
  const specs: FlagSpec[] = [{ name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' }];
  assert.equal(flagUsages(specs, 79), '  -n, --tail string   Number of lines to show from the end of the logs\n                      (default "all")\n');
});

test('wrapText keeps short text on one line and breaks long text at spaces', () => {
  assert.equal(wrapText(10, 79, 'short'), 'short');
  assert.equal(wrapText(70, 79, 'a b'), '\n                a b');
});

test('image references are checked like distribution/reference', async () => {
  const { parseReference } = await import('../../../src/cli/reference');
  assert.deepEqual(parseReference('busybox'), { name: 'busybox', tag: undefined, digest: undefined });
  assert.deepEqual(parseReference('localhost:5000/a/b:v1'), { name: 'localhost:5000/a/b', tag: 'v1', digest: undefined });
  assert.equal(parseReference(`x@sha256:${'a'.repeat(64)}`).digest, `sha256:${'a'.repeat(64)}`);
  assert.throws(() => parseReference('bad name'), { message: 'invalid reference format' });
  assert.throws(() => parseReference('a:b:c'), { message: 'invalid reference format' });
  assert.throws(() => parseReference('Upper'), { message: 'invalid reference format: repository name (library/Upper) must be lowercase' });
});

test('config.json supplies psFormat, imagesFormat and detachKeys', async () => {
  const { loadConfigFile } = await import('../../../src/cli/main');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'berth-config-'));
  try {
    assert.deepEqual(loadConfigFile(dir, () => undefined), {});
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ psFormat: 'table {{.ID}}', detachKeys: 'ctrl-a,a', auths: {} }));
    assert.deepEqual(loadConfigFile(dir, () => undefined), { psFormat: 'table {{.ID}}', imagesFormat: undefined, detachKeys: 'ctrl-a,a' });
    writeFileSync(join(dir, 'config.json'), '{broken');
    let warned = '';
    assert.deepEqual(loadConfigFile(dir, (s) => { warned = s; }), {});
    assert.match(warned, /^WARNING: Error parsing config file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detach keys: docker\'s notation and the escape proxy', async () => {
  const { parseDetachKeys, EscapeProxy } = await import('../../../src/cli/streams');
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
  assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-[,ctrl-_'), [0, 27, 31]);
  assert.throws(() => parseDetachKeys('ctrl-xx'), /Unknown character/);
  const p = new EscapeProxy([16, 17]);
  // a lone ctrl-p is passed on once the next key shows it was not the sequence
  assert.deepEqual(p.push(Buffer.from([97, 16])), { forward: Buffer.from([97]), detached: false });
  assert.deepEqual(p.push(Buffer.from([98])), { forward: Buffer.from([16, 98]), detached: false });
  assert.deepEqual(p.push(Buffer.from([99, 16, 17, 100])), { forward: Buffer.from([99]), detached: true });
});
