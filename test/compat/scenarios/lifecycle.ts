/** create, start (-a, -i), stop, restart, kill, wait, rm, rename, container prune. */
import assert from 'node:assert/strict';
import { eventually } from '../../integration/harness';
import { Ctx, HEX64, NONE, ScenarioTools, inspectOne, lines, ok } from '../lib/suite';

/** A PID 1 that exits with `code` on SIGTERM (sh runs the trap between two short sleeps). */
const TRAP = (code: number) => ['sh', '-c', `trap "exit ${code}" TERM; while true; do sleep 0.1; done`];

export function lifecycleScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const state = async (name: string) => inspectOne(await ctx.cli(['inspect', name])).State;

  it('create makes a created container and start runs it', async (name) => {
    const r = ok(await ctx.cli(['create', '--name', name, ...NONE, '--label', 'k=v', 'busybox', 'sleep', '300']));
    assert.match(r.stdout.trim(), HEX64);
    const s = await state(name);
    assert.equal(s.Status, 'created');
    assert.equal(s.Running, false);
    assert.equal(s.Pid, 0);
    assert.equal(s.StartedAt, '0001-01-01T00:00:00Z');
    const c = inspectOne(await ctx.cli(['inspect', name]));
    assert.deepEqual(c.Config.Labels, { k: 'v' });
    const st = ok(await ctx.cli(['start', name]));
    assert.equal(st.stdout, `${name}\n`);
    const s2 = await state(name);
    assert.equal(s2.Status, 'running');
    assert.ok(s2.Pid > 0);
    const again = ok(await ctx.cli(['start', name]));
    assert.equal(again.stdout, `${name}\n`);
    const unknown = await ctx.cli(['start', `${name}-nosuch`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`No such container: ${name}-nosuch`));
  });

  it('start -a attaches output and returns the exit code', async (name) => {
    ok(await ctx.cli(['create', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 4']));
    const r = await ctx.cli(['start', '-a', name]);
    assert.equal(r.code, 4);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const s = await state(name);
    assert.equal(s.Status, 'exited');
    assert.equal(s.ExitCode, 4);
  });

  it('start -a -i sends piped stdin', async (name) => {
    ok(await ctx.cli(['create', '-i', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'cat; echo end']));
    const r = ok(await ctx.cli(['start', '-a', '-i', name], { input: 'piped in\n' }));
    assert.equal(r.stdout, 'piped in\nend\n');
  });

  it('stop sends SIGTERM then SIGKILL after the timeout', async (name) => {
    ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', ...TRAP(0)]));
    const t0 = Date.now();
    const r = ok(await ctx.cli(['stop', name]));
    assert.equal(r.stdout, `${name}\n`);
    assert.ok(Date.now() - t0 < 8000, 'a TERM-handling container stops without waiting the full timeout');
    const s = await state(name);
    assert.equal(s.Status, 'exited');
    assert.equal(s.ExitCode, 0);
    assert.notEqual(s.FinishedAt, '0001-01-01T00:00:00Z');
    ok(await ctx.cli(['run', '-d', '--name', `${name}-deaf`, ...NONE, 'busybox', 'sleep', '300']));
    const t1 = Date.now();
    ok(await ctx.cli(['stop', '-t', '1', `${name}-deaf`]));
    const took = Date.now() - t1;
    assert.ok(took >= 900 && took < 10_000, `stop -t 1 took ${took} ms`);
    assert.equal((await state(`${name}-deaf`)).ExitCode, 137);
    const already = ok(await ctx.cli(['stop', name]));
    assert.equal(already.stdout, `${name}\n`);
    const unknown = await ctx.cli(['stop', `${name}-nosuch`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`No such container: ${name}-nosuch`));
  });

  it('restart stops and starts again', async (name) => {
    ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', ...TRAP(0)]));
    const before = await state(name);
    const r = ok(await ctx.cli(['restart', '-t', '5', name]));
    assert.equal(r.stdout, `${name}\n`);
    const after = await state(name);
    assert.equal(after.Status, 'running');
    assert.notEqual(after.Pid, before.Pid);
    assert.notEqual(after.StartedAt, before.StartedAt);
    ok(await ctx.cli(['create', '--name', `${name}-created`, ...NONE, 'busybox', 'sleep', '300']));
    ok(await ctx.cli(['restart', `${name}-created`]));
    assert.equal((await state(`${name}-created`)).Status, 'running');
  });

  it('kill sends SIGKILL or the given signal', async (name) => {
    ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']));
    const r = ok(await ctx.cli(['kill', name]));
    assert.equal(r.stdout, `${name}\n`);
    const s = await eventually('exit', async () => { const st = await state(name); return st.Running ? undefined : st; });
    assert.equal(s.ExitCode, 137);
    ok(await ctx.cli(['run', '-d', '--name', `${name}-trap`, ...NONE, 'busybox', ...TRAP(42)]));
    ok(await ctx.cli(['kill', '-s', 'TERM', `${name}-trap`]));
    const code = ok(await ctx.cli(['wait', `${name}-trap`]));
    assert.equal(code.stdout, '42\n');
    ok(await ctx.cli(['run', '-d', '--name', `${name}-num`, ...NONE, 'busybox', 'sleep', '300']));
    ok(await ctx.cli(['kill', '--signal', '15', `${name}-num`]));
    ok(await ctx.cli(['kill', '-s', 'SIGKILL', `${name}-num`]));
    assert.equal((await ctx.cli(['wait', `${name}-num`])).stdout, '137\n');
    const notRunning = await ctx.cli(['kill', name]);
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /is not running/);
    ok(await ctx.cli(['run', '-d', '--name', `${name}-bad`, ...NONE, 'busybox', 'sleep', '300']));
    const badSig = await ctx.cli(['kill', '-s', 'NOSUCHSIG', `${name}-bad`]);
    assert.equal(badSig.code, 1);
    assert.match(badSig.stderr, /[Ii]nvalid signal/);
  });

  it('wait prints exit codes of one or several containers', async (name) => {
    ok(await ctx.cli(['run', '-d', '--name', `${name}-a`, ...NONE, 'busybox', 'sh', '-c', 'sleep 1; exit 3']));
    ok(await ctx.cli(['run', '-d', '--name', `${name}-b`, ...NONE, 'busybox', 'sh', '-c', 'exit 0']));
    const r = ok(await ctx.cli(['wait', `${name}-a`, `${name}-b`]));
    assert.deepEqual(lines(r.stdout), ['3', '0']);
    const again = ok(await ctx.cli(['wait', `${name}-a`]));
    assert.equal(again.stdout, '3\n');
    const unknown = await ctx.cli(['wait', `${name}-nosuch`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`No such container: ${name}-nosuch`));
  });

  it('rm removes stopped containers, refuses running ones without -f', async (name) => {
    ok(await ctx.cli(['create', '--name', name, ...NONE, 'busybox', 'true']));
    const r = ok(await ctx.cli(['rm', name]));
    assert.equal(r.stdout, `${name}\n`);
    const gone = await ctx.cli(['inspect', '--type', 'container', name]);
    assert.equal(gone.code, 1);
    ok(await ctx.cli(['run', '-d', '--name', `${name}-up`, ...NONE, 'busybox', 'sleep', '300']));
    const refused = await ctx.cli(['rm', `${name}-up`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /(cannot remove|You cannot remove a running) container.*(running|Stop the container)/i);
    assert.equal((await state(`${name}-up`)).Status, 'running');
    const forced = ok(await ctx.cli(['rm', '-f', '-v', `${name}-up`]));
    assert.equal(forced.stdout, `${name}-up\n`);
    const unknown = await ctx.cli(['rm', `${name}-nosuch`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`Error response from daemon: No such container: ${name}-nosuch`));
  });

  it('rename changes the name and refuses a taken one', async (name) => {
    const id = ok(await ctx.cli(['run', '-d', '--name', `${name}-old`, ...NONE, 'busybox', 'sleep', '300'])).stdout.trim();
    const r = ok(await ctx.cli(['rename', `${name}-old`, `${name}-new`]));
    assert.equal(r.stdout, '');
    const c = inspectOne(await ctx.cli(['inspect', `${name}-new`]));
    assert.equal(c.Id, id);
    assert.equal(c.Name, `/${name}-new`);
    assert.equal((await ctx.cli(['inspect', '--type', 'container', `${name}-old`])).code, 1);
    const otherId = ok(await ctx.cli(['create', '--name', `${name}-other`, ...NONE, 'busybox', 'true'])).stdout.trim();
    const taken = await ctx.cli(['rename', `${name}-new`, `${name}-other`]);
    assert.equal(taken.code, 1);
    assert.ok(taken.stderr.includes(`Conflict. The container name "/${name}-other" is already in use by container "${otherId}"`), taken.stderr);
    const invalid = await ctx.cli(['rename', `${name}-new`, 'bad/name']);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /Invalid container name/);
  });

  it('container prune removes stopped containers only', async (name) => {
    const label = `bt.prune=${name}`;
    const stopped = ok(await ctx.cli(['run', '--name', `${name}-done`, '--label', label, ...NONE, 'busybox', 'true'])).stdout;
    assert.equal(stopped, '');
    const createdId = ok(await ctx.cli(['create', '--name', `${name}-created`, '--label', label, ...NONE, 'busybox', 'true'])).stdout.trim();
    ok(await ctx.cli(['run', '-d', '--name', `${name}-up`, '--label', label, ...NONE, 'busybox', 'sleep', '300']));
    const doneId = inspectOne(await ctx.cli(['inspect', `${name}-done`])).Id;
    const r = ok(await ctx.cli(['container', 'prune', '-f', '--filter', `label=${label}`]));
    const out = lines(r.stdout);
    assert.equal(out[0], 'Deleted Containers:');
    assert.deepEqual(out.slice(1, -1).sort(), [doneId, createdId].sort());
    assert.match(out[out.length - 1]!, /^Total reclaimed space: \d+(\.\d+)?[kMG]?B$/);
    const left = ok(await ctx.cli(['ps', '-a', '--filter', `label=${label}`, '--format', '{{.Names}}']));
    assert.deepEqual(lines(left.stdout), [`${name}-up`]);
  });
}
