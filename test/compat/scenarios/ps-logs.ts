/** ps (-a, -q, --filter, --format) and logs (-f, --tail, -t, --since). */
import assert from 'node:assert/strict';
import { waitForOutput } from '../../integration/harness';
import { Ctx, HEX12, HEX64, NONE, ScenarioTools, columns, inspectOne, lines, ok } from '../lib/suite';

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$/;

export function psLogsScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  it('ps lists running containers in docker table shape', async (name) => {
    const id = ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '300'])).stdout.trim();
    assert.equal((await ctx.cli(['run', '--name', `${name}-exited`, ...NONE, 'busybox', 'sh', '-c', 'exit 3'])).code, 3);
    const r = ok(await ctx.cli(['ps']));
    const rows = lines(r.stdout);
    assert.deepEqual(columns(rows[0]!), ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']);
    const row = rows.find((l) => l.endsWith(` ${name}`));
    assert.ok(row, r.stdout);
    const cols = columns(row!);
    assert.equal(cols[0], id.slice(0, 12));
    assert.equal(cols[1], 'busybox');
    assert.equal(cols[2], '"sleep 300"');
    assert.match(cols[3]!, /ago$/);
    assert.match(cols[4]!, /^Up /);
    assert.equal(cols[cols.length - 1], name);
    assert.ok(!rows.some((l) => l.endsWith(` ${name}-exited`)), 'ps without -a hides exited containers');
    const all = ok(await ctx.cli(['ps', '-a']));
    const exited = lines(all.stdout).find((l) => l.endsWith(` ${name}-exited`));
    assert.ok(exited, all.stdout);
    assert.match(columns(exited!)[4]!, /^Exited \(3\) .* ago$/);
  });

  it('ps -q and --no-trunc print ids only', async (name) => {
    const id = ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '300'])).stdout.trim();
    const q = ok(await ctx.cli(['ps', '-q', '--filter', `name=${name}`]));
    assert.deepEqual(lines(q.stdout), [id.slice(0, 12)]);
    assert.match(lines(q.stdout)[0]!, HEX12);
    const full = ok(await ctx.cli(['ps', '-aq', '--no-trunc', '--filter', `id=${id}`]));
    assert.deepEqual(lines(full.stdout), [id]);
    assert.match(id, HEX64);
  });

  it('ps --filter by status, name, label, ancestor, exited and id', async (name) => {
    const label = `bt.ps=${name}`;
    ok(await ctx.cli(['run', '-d', '--name', `${name}-up`, '--label', label, '--label', 'role=web', ...NONE, 'busybox', 'sleep', '300']));
    await ctx.cli(['run', '--name', `${name}-three`, '--label', label, ...NONE, 'busybox', 'sh', '-c', 'exit 3']);
    ok(await ctx.cli(['create', '--name', `${name}-new`, '--label', label, ...NONE, 'busybox', 'true']));
    const names = async (...filters: string[]) => {
      const args = ['ps', '-a', '--format', '{{.Names}}', '--filter', `label=${label}`];
      for (const f of filters) args.push('--filter', f);
      return lines(ok(await ctx.cli(args)).stdout).sort();
    };
    assert.deepEqual(await names(), [`${name}-new`, `${name}-three`, `${name}-up`]);
    assert.deepEqual(await names('status=running'), [`${name}-up`]);
    assert.deepEqual(await names('status=exited'), [`${name}-three`]);
    assert.deepEqual(await names('status=created'), [`${name}-new`]);
    assert.deepEqual(await names('exited=3'), [`${name}-three`]);
    assert.deepEqual(await names('label=role=web'), [`${name}-up`]);
    assert.deepEqual(await names('label=role'), [`${name}-up`]);
    assert.deepEqual(await names(`name=${name}-thr`), [`${name}-three`]);
    assert.deepEqual(await names('ancestor=busybox'), [`${name}-new`, `${name}-three`, `${name}-up`]);
    assert.deepEqual(await names('ancestor=busybox:latest', 'status=running'), [`${name}-up`]);
    const id = inspectOne(await ctx.cli(['inspect', `${name}-new`])).Id as string;
    assert.deepEqual(await names(`id=${id.slice(0, 10)}`), [`${name}-new`]);
    const bad = await ctx.cli(['ps', '--filter', 'nosuchfilter=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /[Ii]nvalid filter 'nosuchfilter'/);
  });

  it('ps --format with fields, json and table', async (name) => {
    const id = ok(await ctx.cli(['run', '-d', '--name', name, '--label', 'a=b', ...NONE, 'busybox', 'sleep', '300'])).stdout.trim();
    const f = ok(await ctx.cli(['ps', '--filter', `name=${name}`, '--format', '{{.ID}}|{{.Image}}|{{.Command}}|{{.Names}}|{{.State}}|{{.Labels}}|{{.Label "a"}}']));
    assert.equal(f.stdout, `${id.slice(0, 12)}|busybox|"sleep 300"|${name}|running|a=b|b\n`);
    const j = ok(await ctx.cli(['ps', '--filter', `name=${name}`, '--format', '{{json .}}']));
    const obj = JSON.parse(j.stdout);
    for (const k of ['ID', 'Image', 'Command', 'CreatedAt', 'RunningFor', 'Ports', 'State', 'Status', 'Size', 'Names', 'Labels', 'Mounts', 'Networks']) {
      assert.ok(k in obj, `ps json lacks ${k}: ${j.stdout}`);
    }
    assert.equal(obj.Names, name);
    assert.equal(obj.State, 'running');
    const t = ok(await ctx.cli(['ps', '--filter', `name=${name}`, '--format', 'table {{.Names}}\t{{.Image}}']));
    const rows = lines(t.stdout);
    assert.deepEqual(columns(rows[0]!), ['NAMES', 'IMAGE']);
    assert.deepEqual(columns(rows[1]!), [name, 'busybox']);
    const n = ok(await ctx.cli(['ps', '-a', '-n', '1', '--format', '{{.Names}}']));
    assert.equal(lines(n.stdout).length, 1);
    const s = ok(await ctx.cli(['ps', '-s', '--filter', `name=${name}`, '--format', '{{.Size}}']));
    assert.match(s.stdout, /^\d+(\.\d+)?[kMG]?B \(virtual \d+(\.\d+)?[kMG]?B\)\n$/);
  });

  it('logs prints stdout and stderr apart, --tail and -t', async (name) => {
    // stdout and stderr reach the log through two pipes, so their relative order is a race
    // (in dockerd too): the split is checked on one container, tail and timestamps on another.
    ok(await ctx.cli(['run', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo out1; echo err1 >&2']));
    const r = ok(await ctx.cli(['logs', name]));
    assert.equal(r.stdout, 'out1\n');
    assert.equal(r.stderr, 'err1\n');
    ok(await ctx.cli(['run', '--name', `${name}-seq`, ...NONE, 'busybox', 'seq', '1', '5']));
    const seq = `${name}-seq`;
    assert.equal(ok(await ctx.cli(['logs', seq])).stdout, '1\n2\n3\n4\n5\n');
    assert.equal(ok(await ctx.cli(['logs', '--tail', '2', seq])).stdout, '4\n5\n');
    assert.equal(ok(await ctx.cli(['logs', '-n', '0', seq])).stdout, '');
    assert.equal(ok(await ctx.cli(['logs', '--tail', 'all', seq])).stdout, '1\n2\n3\n4\n5\n');
    const t = ok(await ctx.cli(['logs', '-t', '--tail', '3', seq]));
    const tl = lines(t.stdout);
    assert.equal(tl.length, 3);
    for (const [i, l] of tl.entries()) {
      const [ts, rest] = l.split(' ');
      assert.match(ts!, TS, l);
      assert.equal(rest, String(i + 3));
    }
    const unknown = await ctx.cli(['logs', `${name}-nosuch`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`No such container: ${name}-nosuch`));
  });

  it('logs --since skips older lines', async (name) => {
    ok(await ctx.cli(['run', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo early; sleep 1.5; echo late']));
    const t = lines(ok(await ctx.cli(['logs', '-t', name])).stdout);
    assert.equal(t.length, 2);
    const early = Date.parse(t[0]!.split(' ')[0]!);
    const since = ((early + 700) / 1000).toFixed(3);
    assert.equal(ok(await ctx.cli(['logs', '--since', since, name])).stdout, 'late\n');
    assert.equal(ok(await ctx.cli(['logs', '--since', '10m', name])).stdout, 'early\nlate\n');
    assert.equal(ok(await ctx.cli(['logs', '--since', new Date(early + 700).toISOString(), name])).stdout, 'late\n');
    assert.equal(ok(await ctx.cli(['logs', '--until', since, name])).stdout, 'early\n');
  });

  it('logs -f follows until the container exits', async (name) => {
    ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sh', '-c',
      'echo first; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo second; exit 2']));
    const follower = ctx.cli.spawn(['logs', '-f', name]);
    const exit = new Promise<number | null>((r) => follower.once('exit', (c) => r(c)));
    let all = '';
    follower.stdout!.on('data', (c: Buffer) => (all += c.toString()));
    await waitForOutput(follower, (o) => o.includes('first\n'));
    ok(await ctx.cli(['exec', name, 'touch', '/tmp/go']));
    const code = await exit;
    assert.equal(code, 0);
    assert.equal(all, 'first\nsecond\n');
    const tailFollow = ok(await ctx.cli(['logs', '-f', '--tail', '1', name]));
    assert.equal(tailFollow.stdout, 'second\n');
  });

  it('logs of a tty container are raw', async (name) => {
    ok(await ctx.cli(['run', '-t', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo out; echo err >&2'], { tty: true }));
    const r = ok(await ctx.cli(['logs', name]));
    assert.equal(r.stdout, 'out\r\nerr\r\n');
    assert.equal(r.stderr, '');
  });
}
