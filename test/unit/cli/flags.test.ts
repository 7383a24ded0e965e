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
