/**
 * Restart policies (with dockerd's back-off and RestartCount, and across a daemon restart),
 * healthchecks (healthy, unhealthy, events, --no-healthcheck) and --init (tini as PID 1
 * reaping zombies), through a CLI against the daemon.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { eventually, sleep } from '../harness';
import { Ctx, NONE, ScenarioTools, inspectOne, lines, ok } from '../../compat/lib/suite';
import { syscallProber } from '../../compat/isolation-scenarios';

export function policiesScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const cli: Ctx['cli'] = Object.assign((args: string[], opts?: Parameters<Ctx['cli']>[1]) => ctx.cli(args, opts), { kind: ctx.kind, spawn: (a: string[]) => ctx.cli.spawn(a) });
  const inspect = async (name: string) => inspectOne(await cli(['inspect', name]));
  const berthOnly = () => (ctx.target === 'docker' ? 'dockerd stops containers on shutdown without live-restore' : false);

  it('on-failure:2 restarts twice then stays exited, RestartCount 2', async (name) => {
    ok(await cli(['run', '-d', '--name', name, ...NONE, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']));
    await eventually('two restarts', async () => {
      const c = await inspect(name);
      return c.RestartCount === 2 && c.State.Status === 'exited' && c.State.ExitCode === 3;
    }, 10_000);
    await sleep(1000);
    assert.equal((await inspect(name)).RestartCount, 2);
  });

  it('on-failure does not restart a clean exit; always does, with a growing back-off', async (name) => {
    ok(await cli(['run', '-d', '--name', `${name}-ok`, ...NONE, '--restart', 'on-failure', 'busybox', 'true']));
    ok(await cli(['run', '-d', '--name', `${name}-al`, ...NONE, '--restart', 'always', 'busybox', 'true']));
    await sleep(1500);
    assert.equal((await inspect(`${name}-ok`)).RestartCount, 0);
    const n = (await inspect(`${name}-al`)).RestartCount;
    // 100 + 200 + 400 + 800 ms: about 4 restarts in 1.5 s, not dozens
    assert.ok(n >= 2 && n <= 6, `restart count ${n}`);
    const st = (await inspect(`${name}-al`)).State;
    assert.ok(st.Restarting || st.Running, JSON.stringify(st));
  });

  it('stop ends the restarts of an always container; start resets RestartCount', async (name) => {
    ok(await cli(['run', '-d', '--name', name, ...NONE, '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.3; exit 1']));
    await eventually('a restart', async () => (await inspect(name)).RestartCount >= 1, 10_000);
    ok(await cli(['stop', '-t', '1', name]));
    const before = await inspect(name);
    assert.equal(before.State.Running, false);
    await sleep(1500);
    assert.equal((await inspect(name)).State.Running, false);
    ok(await cli(['start', name]));
    assert.equal((await inspect(name)).RestartCount, 0);
  });

  it('across a daemon restart: always restarts a container that died meanwhile; unless-stopped keeps a stopped one down', async (name) => {
    ok(await cli(['run', '-d', '--name', `${name}-a`, ...NONE, '--restart', 'always', 'busybox', 'sleep', '300']));
    ok(await cli(['run', '-d', '--name', `${name}-u`, ...NONE, '--restart', 'unless-stopped', 'busybox', 'sleep', '300']));
    ok(await cli(['run', '-d', '--name', `${name}-s`, ...NONE, '--restart', 'always', 'busybox', 'sleep', '300']));
    ok(await cli(['stop', '-t', '0', `${name}-u`, `${name}-s`]));
    const pid = (await inspect(`${name}-a`)).State.Pid;
    await ctx.daemon.terminate();
    process.kill(pid, 'SIGKILL');
    await sleep(500);
    fs.rmSync(ctx.daemon.socket, { force: true });
    await (ctx.daemon as unknown as { launch(): Promise<void> }).launch();
    await eventually('always container restarted', async () => {
      const c = await inspect(`${name}-a`);
      return c.State.Running && !c.State.Restarting && c.State.Pid !== pid && c.RestartCount === 1;
    }, 15_000);
    assert.equal((await inspect(`${name}-u`)).State.Running, false);
    // dockerd restarts `always` containers at daemon start even when they were stopped by hand
    await eventually('manually stopped always container restarted', async () => (await inspect(`${name}-s`)).State.Running, 15_000);
  }, { skip: berthOnly() });

  it('a healthcheck reaches healthy, then unhealthy, with health_status events', async (name) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(await cli(['run', '-d', '--name', name, ...NONE, '--health-cmd', 'test -f /tmp/ok', '--health-interval', '300ms', '--health-retries', '2',
      '--health-timeout', '2s', 'busybox', 'sh', '-c', 'touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 300']));
    assert.match(lines(ok(await cli(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).stdout)[0], /\((health: starting|healthy)\)/);
    await eventually('healthy', async () => (await inspect(name)).State.Health?.Status === 'healthy', 10_000);
    assert.match(ok(await cli(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).stdout, /\(healthy\)/);
    assert.equal(ok(await cli(['ps', '--filter', `name=${name}`, '--filter', 'health=healthy', '--format', '{{.Names}}'])).stdout, `${name}\n`);
    assert.equal(ok(await cli(['ps', '--filter', `name=${name}`, '--filter', 'health=unhealthy', '--format', '{{.Names}}'])).stdout, '');
    await eventually('unhealthy', async () => (await inspect(name)).State.Health?.Status === 'unhealthy', 10_000);
    const h = (await inspect(name)).State.Health;
    assert.ok(h.FailingStreak >= 2);
    assert.ok(h.Log.length > 0 && h.Log.length <= 5);
    assert.equal(h.Log[h.Log.length - 1].ExitCode, 1);
    const ev = ok(await cli(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${name}`,
      '--filter', 'event=health_status', '--format', '{{.Action}}']));
    assert.deepEqual(lines(ev.stdout), ['health_status: healthy', 'health_status: unhealthy']);
  });

  it('--no-healthcheck and a timing-out probe', async (name) => {
    const conflict = await cli(['run', '-d', ...NONE, '--health-cmd', 'true', '--no-healthcheck', 'busybox', 'true']);
    assert.equal(conflict.code, 125);
    assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
    ok(await cli(['run', '-d', '--name', `${name}-n`, ...NONE, '--no-healthcheck', 'busybox', 'sleep', '300']));
    const n = await inspect(`${name}-n`);
    assert.deepEqual(n.Config.Healthcheck?.Test, ['NONE']);
    await sleep(500);
    assert.equal((await inspect(`${name}-n`)).State.Health, undefined);
    ok(await cli(['run', '-d', '--name', `${name}-t`, ...NONE, '--health-cmd', 'sleep 5', '--health-interval', '200ms', '--health-timeout', '300ms',
      '--health-retries', '1', 'busybox', 'sleep', '300']));
    await eventually('unhealthy by timeout', async () => (await inspect(`${name}-t`)).State.Health?.Status === 'unhealthy', 10_000);
    const log = (await inspect(`${name}-t`)).State.Health.Log;
    assert.match(log[log.length - 1].Output, /Health check exceeded timeout \(300ms\)/);
  });

  it('--init: PID 1 is tini (docker-init) and orphans are reaped', async (name) => {
    const sc = syscallProber();
    ok(await cli(['run', '-d', '--name', `${name}-i`, ...NONE, '--init', '-v', `${sc}:/sc:ro`, 'busybox', '/sc', 'zombies', '5']));
    ok(await cli(['run', '-d', '--name', `${name}-n`, ...NONE, '-v', `${sc}:/sc:ro`, 'busybox', '/sc', 'zombies', '5']));
    await sleep(2500);
    const withInit = ok(await cli(['exec', `${name}-i`, 'ps', '-o', 'pid,stat,comm'])).stdout;
    assert.match(withInit, /^\s*1 S\s+docker-init$/m);
    assert.equal(lines(withInit).filter((l) => / Z /.test(l)).length, 0, withInit);
    const without = ok(await cli(['exec', `${name}-n`, 'ps', '-o', 'pid,stat,comm'])).stdout;
    assert.equal(lines(without).filter((l) => / Z /.test(l)).length, 5, without);
    const c = await inspect(`${name}-i`);
    assert.equal(c.HostConfig.Init, true);
  });
}
