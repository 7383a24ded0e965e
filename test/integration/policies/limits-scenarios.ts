/**
 * Resource limits (read back from the cgroup files inside the container, and by their
 * effect), docker update on a running container, stats, pause/unpause, top, diff, export
 * and commit, through a CLI (docker or berth) against the daemon.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { eventually } from '../harness';
import { Ctx, NONE, ScenarioTools, columns, inspectOne, lines, ok } from '../../compat/lib/suite';

const MiB = 1024 * 1024;

export function limitsScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const cli: Ctx['cli'] = Object.assign((args: string[], opts?: Parameters<Ctx['cli']>[1]) => ctx.cli(args, opts), { kind: ctx.kind, spawn: (a: string[]) => ctx.cli.spawn(a) });
  const run = (args: string[]) => cli(['run', '--rm', ...NONE, ...args]);
  const cg = (files: string[]) => ['busybox', 'cat', ...files.map((f) => `/sys/fs/cgroup/${f}`)];

  it('memory, cpu, cpuset and pids limits show in the cgroup files', async () => {
    const r = ok(await run(['-m', '32m', '--memory-swap', '64m', '--memory-reservation', '16m', '--cpus', '0.5', '--cpu-shares', '512',
      '--cpuset-cpus', '0', '--pids-limit', '10', '--oom-kill-disable',
      ...cg(['memory/memory.limit_in_bytes', 'memory/memory.memsw.limit_in_bytes', 'memory/memory.soft_limit_in_bytes',
        'cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us', 'cpu/cpu.shares', 'cpuset/cpuset.cpus', 'pids/pids.max', 'memory/memory.oom_control'])]));
    const out = lines(r.stdout);
    assert.deepEqual(out.slice(0, 8), [String(32 * MiB), String(64 * MiB), String(16 * MiB), '50000', '100000', '512', '0', '10']);
    assert.match(r.stdout, /oom_kill_disable 1/);
    const q = ok(await run(['--cpu-period', '50000', '--cpu-quota', '25000', ...cg(['cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us'])]));
    assert.deepEqual(lines(q.stdout), ['25000', '50000']);
  });

  it('-m without --memory-swap gives twice the memory as swap limit, as dockerd', async (name) => {
    ok(await cli(['create', '--name', name, ...NONE, '-m', '32m', 'busybox']));
    const c = inspectOne(await cli(['inspect', name]));
    assert.equal(c.HostConfig.Memory, 32 * MiB);
    assert.equal(c.HostConfig.MemorySwap, 64 * MiB);
  });

  it('limits are checked like dockerd', async () => {
    const small = await run(['-m', '1m', 'busybox', 'true']);
    assert.equal(small.code, 125);
    assert.match(small.stderr, /Minimum memory limit allowed is 6MB/);
    const swap = await run(['-m', '32m', '--memory-swap', '16m', 'busybox', 'true']);
    assert.equal(swap.code, 125);
    assert.match(swap.stderr, /Minimum memoryswap limit should be larger than memory limit/);
    const cpus = await run(['--cpus', '64', 'busybox', 'true']);
    assert.equal(cpus.code, 125);
    assert.match(cpus.stderr, /Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available/);
    // this kernel has no blkio weight file: dockerd discards the weight with a warning
    const blkio = ok(await run(['--blkio-weight', '300', 'busybox', 'true']));
    assert.match(blkio.stderr, /WARNING: Your kernel does not support Block I\/O weight or the cgroup is not mounted. Weight discarded./);
  });

  it('a process over --memory is OOM-killed: exit 137, OOMKilled, oom event', async (name) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = await cli(['run', '--name', name, ...NONE, '-m', '16m', '--memory-swap', '16m', 'busybox', 'sh', '-c', 'x=$(head -c 64000000 /dev/zero | tr "\\0" a); echo survived'], { timeoutMs: 60_000 });
    assert.equal(r.code, 137, r.stderr);
    const c = inspectOne(await cli(['inspect', name]));
    assert.equal(c.State.OOMKilled, true);
    assert.equal(c.State.ExitCode, 137);
    const ev = ok(await cli(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--format', '{{.Action}}']));
    assert.ok(lines(ev.stdout).includes('oom'), ev.stdout);
    assert.ok(lines(ev.stdout).includes('die'), ev.stdout);
  });

  it('--pids-limit 10 stops the 11th process', async () => {
    const r = await run(['--pids-limit', '10', 'busybox', 'sh', '-c', 'for i in $(seq 12); do sleep 5 & done; echo started; wait']);
    assert.match(r.stderr, /can't fork|Resource temporarily unavailable/);
  });

  it('update changes the limits of a running container', async (name) => {
    ok(await cli(['run', '-d', '--name', name, ...NONE, '-m', '64m', 'busybox', 'sleep', '300']));
    const u = ok(await cli(['update', '-m', '128m', '--memory-swap', '256m', '--cpus', '0.5', '--pids-limit', '20', '--restart', 'on-failure:3', name]));
    assert.equal(u.stdout, `${name}\n`);
    const r = ok(await cli(['exec', name, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes',
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/pids/pids.max']));
    assert.deepEqual(lines(r.stdout), [String(128 * MiB), String(256 * MiB), '50000', '20']);
    const c = inspectOne(await cli(['inspect', name]));
    assert.equal(c.HostConfig.Memory, 128 * MiB);
    assert.equal(c.HostConfig.NanoCpus, 500000000);
    assert.equal(c.HostConfig.PidsLimit, 20);
    assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    const bad = await cli(['update', '-m', '512m', name]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Memory limit should be smaller than already set memoryswap limit/);
  });

  it('stats --no-stream shows CPU, memory against the limit and pids; the API has precpu and online_cpus', async (name) => {
    ok(await cli(['run', '-d', '--name', name, ...NONE, '-m', '64m', 'busybox', 'sh', '-c', 'while :; do :; done']));
    const r = ok(await cli(['stats', '--no-stream', name]));
    const [head, row] = lines(r.stdout);
    assert.deepEqual(columns(head), ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS']);
    const cols = columns(row);
    assert.equal(cols[1], name);
    assert.ok(Number(cols[2].replace('%', '')) > 5, `busy loop CPU ${cols[2]}`);
    assert.match(cols[3], / \/ 64MiB$/);
    assert.equal(cols[7], '1');
    const f = ok(await cli(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', name]));
    assert.equal(f.stdout, `${name} 1\n`);
    const raw = JSON.parse(execFileSync('curl', ['-s', '--unix-socket', ctx.daemon.socket, `http://x/containers/${name}/stats?stream=0`], { encoding: 'utf8' }));
    assert.ok(raw.cpu_stats.online_cpus > 0);
    assert.ok(raw.precpu_stats.cpu_usage.total_usage > 0, 'precpu holds the previous sample');
    assert.ok(raw.cpu_stats.system_cpu_usage > raw.precpu_stats.system_cpu_usage);
    assert.equal(raw.memory_stats.limit, 64 * MiB);
    assert.equal(raw.pids_stats.current, 1);
  });

  it('pause and unpause freeze the container; errors as dockerd', async (name) => {
    ok(await cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']));
    assert.equal(ok(await cli(['pause', name])).stdout, `${name}\n`);
    assert.equal(inspectOne(await cli(['inspect', name])).State.Status, 'paused');
    const again = await cli(['pause', name]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is already paused/);
    ok(await cli(['unpause', name]));
    assert.equal(inspectOne(await cli(['inspect', name])).State.Status, 'running');
    const not = await cli(['unpause', name]);
    assert.match(not.stderr, /is not paused/);
  });

  it('top lists the processes with ps options', async (name) => {
    ok(await cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']));
    const r = ok(await cli(['top', name]));
    const [head, row] = lines(r.stdout);
    assert.deepEqual(columns(head), ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.match(row, /sleep 300$/);
    const o = ok(await cli(['top', name, '-o', 'pid,comm']));
    assert.deepEqual(columns(lines(o.stdout)[0]), ['PID', 'COMMAND']);
    assert.equal(columns(lines(o.stdout)[1])[1], 'sleep');
  });

  it('diff, export and commit: the committed image keeps changes and deletions', async (name) => {
    ok(await cli(['run', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo hi > /tmp/new; rm /bin/vi; rm -rf /home/tester; mkdir /home/tester']));
    const d = lines(ok(await cli(['diff', name])).stdout);
    for (const want of ['C /bin', 'D /bin/vi', 'C /tmp', 'A /tmp/new']) assert.ok(d.includes(want), `${want} in ${d.join(', ')}`);
    const tar = execFileSync('sh', ['-c', `${ctx.kind === 'docker' ? 'docker' : 'node bin/berth'} export ${name} | tar t`], {
      encoding: 'utf8', cwd: require('node:path').resolve(__dirname, '../../../..'), env: { ...process.env, DOCKER_HOST: `unix://${ctx.daemon.socket}` },
    });
    assert.ok(tar.split('\n').includes('tmp/new'));
    assert.ok(!tar.split('\n').includes('bin/vi'));
    const id = ok(await cli(['commit', '-m', 'msg', '-a', 'me', '-c', 'ENV FOO=bar', name, `${name}:v1`])).stdout.trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const r = await cli(['run', '--rm', ...NONE, `${name}:v1`, 'sh', '-c', 'cat /tmp/new; echo $FOO; ls /home/tester | wc -l; ls /bin/vi']);
    assert.deepEqual(lines(r.stdout), ['hi', 'bar', '0']);
    assert.match(r.stderr, /\/bin\/vi: No such file or directory/);
    const img = inspectOne(await cli(['image', 'inspect', `${name}:v1`]));
    assert.equal(img.Comment, 'msg');
    assert.equal(img.Author, 'me');
    assert.equal(img.RootFS.Layers.length, 2);
  });

  it('events: pause, unpause, update, top, commit', async (name) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(await cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']));
    ok(await cli(['pause', name]));
    ok(await cli(['unpause', name]));
    ok(await cli(['update', '--cpus', '1', name]));
    ok(await cli(['top', name]));
    ok(await cli(['commit', name, `${name}:x`]));
    await eventually('events', async () => {
      const ev = ok(await cli(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--format', '{{.Action}}']));
      const got = lines(ev.stdout);
      return ['create', 'start', 'pause', 'unpause', 'update', 'top', 'commit'].every((a) => got.includes(a));
    }, 10_000);
  });
}
