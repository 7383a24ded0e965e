/**
 * Isolation defaults and the flags that change them, looked at from inside the container:
 * capabilities, seccomp, masked and read-only paths, devices, and part 1 of issue 3's flags.
 * A tiny static C program (fixtures/syscalls.c, built here with gcc -static) is bind-mounted
 * in to try the syscalls Docker's default profile refuses.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../integration/harness';
import { Ctx, NONE, ScenarioTools, inspectOne, lines, ok } from './lib/suite';

export const DOCKER_DEFAULT_CAPEFF = '00000000a80425fb';
export const BLOCKED = ['keyctl', 'add_key', 'mount', 'umount2', 'unshare', 'kexec_load', 'open_by_handle_at', 'bpf', 'perf_event_open'];

let fixture: string | undefined;
/** Path of the static syscall prober (built once per process). */
export function syscallProber(): string {
  if (fixture && fs.existsSync(fixture)) return fixture;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-sc-'));
  fixture = path.join(dir, 'sc');
  execFileSync('gcc', ['-static', '-O1', '-o', fixture, path.join(REPO_ROOT, 'test', 'compat', 'fixtures', 'syscalls.c')]);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return fixture;
}

function daemonCapBnd(ctx: Ctx): string {
  const pid = Number(fs.readFileSync(ctx.daemon.pidfile, 'utf8').trim());
  const m = /^CapBnd:\s*([0-9a-f]+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m[1] : '';
}

function statusField(text: string, field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '';
}

function results(out: string): Record<string, number> {
  return Object.fromEntries(lines(out).map((l) => l.split(' ')).map(([n, e]) => [n, Number(e)]));
}

export function isolationScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const run = (args: string[]) => ctx.cli(['run', '--rm', ...NONE, ...args]);
  const berthOnly = () => ctx.target === 'docker' ? 'dockerd 20.10 on this host differs (no MAC_OVERRIDE / old defaults)' : false;

  it('default container: Docker caps, seccomp filter, no_new_privs off', async () => {
    const r = ok(await run(['busybox', 'cat', '/proc/self/status']));
    assert.equal(statusField(r.stdout, 'CapEff'), DOCKER_DEFAULT_CAPEFF);
    assert.equal(statusField(r.stdout, 'CapBnd'), DOCKER_DEFAULT_CAPEFF);
    assert.equal(statusField(r.stdout, 'Seccomp'), '2');
    assert.equal(statusField(r.stdout, 'NoNewPrivs'), '0');
  });

  it('default seccomp profile refuses keyctl, mount, unshare, bpf ... with EPERM', async () => {
    const sc = syscallProber();
    const r = ok(await run(['-v', `${sc}:/sc:ro`, 'busybox', '/sc', ...BLOCKED, 'getpid', 'chroot']));
    const got = results(r.stdout);
    for (const s of BLOCKED) assert.equal(got[s], 1, `${s} should be refused: ${r.stdout}`);
    assert.equal(got.getpid, 0);
    assert.equal(got.chroot, 0, 'chroot is allowed with CAP_SYS_CHROOT');
  });

  it('masked /proc files read empty, /proc/sys is read-only, /dev holds the defaults', async () => {
    const r = await run(['busybox', 'sh', '-c',
      'wc -c < /proc/timer_list; wc -c < /proc/keys; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname && echo writable; ls /dev | tr "\\n" " "']);
    const out = lines(r.stdout);
    assert.equal(out[0].trim(), '0');
    assert.equal(out[1].trim(), '0');
    assert.equal(out[2].trim(), '0');
    assert.ok(!r.stdout.includes('writable'));
    assert.match(r.stderr, /Read-only file system/);
    const devs = out[3].trim().split(' ').sort();
    assert.deepEqual(devs, ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    assert.ok(!devs.includes('sda') && !devs.includes('fuse') && !devs.includes('kmsg'), devs.join(' '));
  });

  it('--privileged: every cap the daemon holds, no seccomp, host devices, writable /proc/sys', async () => {
    const r = ok(await run(['--privileged', 'busybox', 'sh', '-c', 'cat /proc/self/status; ls /dev | wc -l']));
    assert.equal(statusField(r.stdout, 'CapEff'), daemonCapBnd(ctx));
    assert.equal(statusField(r.stdout, 'Seccomp'), '0');
    assert.ok(Number(lines(r.stdout).pop()) > 20, 'host devices');
    ok(await run(['--privileged', 'busybox', 'sh', '-c', 'echo berth > /proc/sys/kernel/domainname']));
  }, { skip: berthOnly() });

  it('--cap-add / --cap-drop with and without CAP_, and ALL', async () => {
    const add = ok(await run(['--cap-add', 'SYS_ADMIN', '--cap-add', 'cap_net_admin', 'busybox', 'grep', 'CapEff', '/proc/self/status']));
    assert.equal(statusField(add.stdout, 'CapEff'), (0xa80425fbn | (1n << 21n) | (1n << 12n)).toString(16).padStart(16, '0'));
    const drop = ok(await run(['--cap-drop', 'ALL', '--cap-add', 'NET_RAW', 'busybox', 'grep', 'CapEff', '/proc/self/status']));
    assert.equal(statusField(drop.stdout, 'CapEff'), (1n << 13n).toString(16).padStart(16, '0'));
    const chown = await run(['--cap-drop', 'CHOWN', 'busybox', 'chown', 'nobody', '/tmp']);
    assert.notEqual(chown.code, 0);
  });

  it('--cap-add SYS_ADMIN opens mount and unshare in the seccomp profile', async () => {
    const sc = syscallProber();
    const r = ok(await run(['--cap-add', 'SYS_ADMIN', '-v', `${sc}:/sc:ro`, 'busybox', '/sc', 'mount', 'unshare']));
    const got = results(r.stdout);
    assert.notEqual(got.mount, 1);
    assert.equal(got.unshare, 0);
  });

  it('--security-opt seccomp=unconfined, seccomp=<profile.json>, no-new-privileges', async (name) => {
    const sc = syscallProber();
    const un = ok(await run(['--security-opt', 'seccomp=unconfined', '-v', `${sc}:/sc:ro`, 'busybox', 'sh', '-c', 'grep Seccomp: /proc/self/status; /sc keyctl']));
    assert.match(un.stdout, /Seccomp:\s+0/);
    assert.equal(results(lines(un.stdout).slice(1).join('\n')).keyctl, 0);
    const prof = path.join(os.tmpdir(), `${name}-profile.json`);
    fs.writeFileSync(prof, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
    try {
      const custom = ok(await run(['--security-opt', `seccomp=${prof}`, '-v', `${sc}:/sc:ro`, 'busybox', '/sc', 'getpid', 'keyctl']));
      assert.deepEqual(results(custom.stdout), { getpid: 13, keyctl: 0 });
    } finally {
      fs.rmSync(prof, { force: true });
    }
    const nnp = ok(await run(['--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']));
    assert.match(nnp.stdout, /NoNewPrivs:\s+1/);
    const bad = await run(['--security-opt', 'foo=bar', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid --security-opt 2: "foo=bar"/);
  });

  it('--read-only, --tmpfs, --shm-size', async () => {
    const ro = await run(['--read-only', 'busybox', 'touch', '/x']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const t = ok(await run(['--read-only', '--tmpfs', '/run:size=1m', 'busybox', 'sh', '-c', 'touch /run/x && df -k /run | tail -1']));
    assert.match(t.stdout, /^tmpfs\s+1024\s/m);
    const shm = ok(await run(['--shm-size', '8m', 'busybox', 'sh', '-c', 'df -k /dev/shm | tail -1']));
    assert.match(shm.stdout, /^shm\s+8192\s/m);
  });

  it('--device (with permissions), --device-cgroup-rule, --ulimit, --group-add', async () => {
    const dev = ok(await run(['--device', '/dev/fuse', 'busybox', 'ls', '-l', '/dev/fuse']));
    assert.match(dev.stdout, /^c.* 10,\s+229 /);
    const ul = ok(await run(['--ulimit', 'nofile=100:200', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn']));
    assert.deepEqual(lines(ul.stdout), ['100', '200']);
    const ga = ok(await run(['--group-add', '33', 'busybox', 'id']));
    assert.match(ga.stdout, /groups=.*33\(www-data\)/);
    const ro = await run(['--device', '/dev/fuse:/dev/fuse:r', 'busybox', 'sh', '-c', 'grep 10:229 /sys/fs/cgroup/devices/devices.list; echo x > /dev/fuse']);
    assert.equal(lines(ro.stdout)[0], 'c 10:229 r');
    assert.match(ro.stderr, /Operation not permitted/);
    const rule = ok(await run(['--device-cgroup-rule', 'c 10:229 rw', 'busybox', 'grep', '10:229', '/sys/fs/cgroup/devices/devices.list']));
    assert.equal(rule.stdout, 'c 10:229 rw\n');
    const missing = await run(['--device', '/dev/nonexistent-berth', 'busybox', 'true']);
    assert.notEqual(missing.code, 0); // docker run maps "no such file or directory" to 127
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/nonexistent-berth"/);
  });

  it('--sysctl: namespaced ones apply, others are refused', async () => {
    const r = ok(await run(['--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', 'kernel.shmmax=1000000', 'busybox', 'sh', '-c',
      'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax']));
    assert.deepEqual(lines(r.stdout), ['1', '1000000']);
    const bad = await run(['--sysctl', 'kernel.panic=1', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /kernel\.panic.* is not allowed/);
  });

  it('--pid host, --uts host, --ipc host/shareable/container:, --pid container:<name>, --cgroupns', async (name) => {
    const pid = ok(await run(['--pid', 'host', 'busybox', 'sh', '-c', 'ps -o pid | wc -l']));
    assert.ok(Number(pid.stdout.trim()) > 5, pid.stdout);
    const uts = ok(await run(['--uts', 'host', 'busybox', 'hostname']));
    assert.equal(uts.stdout.trim(), os.hostname());
    const none = await run(['--ipc', 'none', 'busybox', 'ls', '-d', '/dev/shm']);
    assert.notEqual(none.code, 0, 'no /dev/shm with --ipc none');
    const cgHost = ok(await run(['busybox', 'readlink', '/proc/self/ns/cgroup']));
    assert.equal(cgHost.stdout.trim(), fs.readlinkSync('/proc/self/ns/cgroup'), 'cgroup v1: host cgroup namespace by default');
    const cgPriv = ok(await run(['--cgroupns', 'private', 'busybox', 'readlink', '/proc/self/ns/cgroup']));
    assert.notEqual(cgPriv.stdout.trim(), fs.readlinkSync('/proc/self/ns/cgroup'));
    const ipcHost = ok(await run(['--ipc', 'host', 'busybox', 'readlink', '/proc/self/ns/ipc']));
    assert.equal(ipcHost.stdout.trim(), fs.readlinkSync('/proc/self/ns/ipc'));
    ok(await ctx.cli(['run', '-d', '--name', `${name}-a`, ...NONE, 'busybox', 'sleep', '300']));
    const shared = ok(await run(['--pid', `container:${name}-a`, 'busybox', 'ps', '-o', 'comm']));
    assert.ok(lines(shared.stdout).includes('sleep'), shared.stdout);
    ok(await ctx.cli(['run', '-d', '--name', `${name}-ipc`, ...NONE, '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo hello > /dev/shm/x; sleep 300']));
    const joined = ok(await run(['--ipc', `container:${name}-ipc`, 'busybox', 'sh', '-c', 'sleep 0.3; cat /dev/shm/x; readlink /proc/self/ns/ipc']));
    const donorNs = ok(await ctx.cli(['exec', `${name}-ipc`, 'readlink', '/proc/self/ns/ipc'])).stdout.trim();
    assert.deepEqual(lines(joined.stdout), ['hello', donorNs]);
    const refused = await run(['--ipc', `container:${name}-a`, 'busybox', 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /non-shareable IPC/);
  });

  it('inspect shows the isolation settings the daemon applied', async (name) => {
    ok(await ctx.cli(['create', '--name', name, ...NONE, '--cap-add', 'NET_ADMIN', '--security-opt', 'no-new-privileges', '--read-only', 'busybox']));
    const c = inspectOne(await ctx.cli(['inspect', name]));
    assert.deepEqual(c.HostConfig.CapAdd.map((x: string) => x.replace(/^CAP_/, '')), ['NET_ADMIN']);
    assert.deepEqual(c.HostConfig.SecurityOpt, ['no-new-privileges']);
    assert.equal(c.HostConfig.ReadonlyRootfs, true);
    assert.ok(c.HostConfig.MaskedPaths.includes('/proc/kcore'));
    assert.ok(c.HostConfig.ReadonlyPaths.includes('/proc/sys'));
  });
}
