/**
 * The create body berth builds for run/create flags, compared with what the real docker CLI
 * (/usr/local/bin/docker, if present) sends for the same command line to a fake daemon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunArgs } from '../../../src/cli/commands/container/run';
import { FakeDaemon, json } from '../client/fakedaemon';

const DOCKER = '/usr/local/bin/docker';
const files = mkdtempSync(join(tmpdir(), 'berth-createbody-'));
const envFile = join(files, 'env');
writeFileSync(envFile, '# comment\nFROMFILE=1\n\nBARE_SET\nBARE_UNSET\nSPACED=a b\n');
const labelFile = join(files, 'labels');
writeFileSync(labelFile, 'lf=1\nlflag\n');

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: files, BARE_SET: 'from-env', LOCALVAR: 'local' };

const CASES: string[][] = [
  ['busybox'],
  ['busybox', 'echo', 'hi'],
  ['--name', 'x', '-i', '-t', 'busybox', 'sh'],
  ['-it', '--rm', '-e', 'A=1', '-e', 'LOCALVAR', '-e', 'MISSING', '--env-file', envFile, 'busybox'],
  ['-w', '/tmp', '-u', '1:2', '--entrypoint', 'sh', '--hostname', 'h', '--domainname', 'd', 'busybox', '-c', 'echo a'],
  ['--entrypoint=', 'busybox', 'true'],
  ['-l', 'a=b', '--label', 'c', '--label-file', labelFile, '--network', 'none', 'busybox'],
  ['--network=host', '--restart', 'on-failure:3', '--init', '--stop-signal', 'SIGINT', '--stop-timeout', '3', 'busybox'],
  ['--init=false', '--restart=unless-stopped', 'busybox'],
  ['--add-host', 'a:1.2.3.4', '--dns', '192.0.2.53', '--dns-search', 'x', '--dns-option', 'ndots:1', 'busybox'],
  ['-v', '/tmp:/mnt:ro', '-v', 'vol:/data', '-v', '/anon', '--mount', 'type=tmpfs,target=/t', '--mount', 'type=bind,src=/tmp,dst=/x,ro', '--mount', 'source=v,target=/y,volume-nocopy', '--tmpfs', '/run:size=1m', '--tmpfs', '/x2', 'busybox'],
  ['-p', '8080:80', '-p', '53/udp', '-p', '127.0.0.1:80-81:8080-8081/tcp', '-p', '9000', '--expose', '7000-7001', '-P', 'busybox'],
  ['--cap-add', 'NET_ADMIN', '--cap-add', 'sys_admin', '--cap-drop', 'ALL', '--privileged', '--read-only', 'busybox'],
  ['-m', '64m', '--cpus', '1.5', '--pids-limit', '10', '--memory-swap', '-1', '--memory-reservation', '32m', '--shm-size', '1g', '--cpu-shares', '512', '--cpuset-cpus', '0', 'busybox'],
  ['--ulimit', 'nofile=10:20', '--ulimit', 'nproc=5', '--security-opt', 'no-new-privileges', '--security-opt', 'label=disable', 'busybox'],
  ['-a', 'stdout', '-a', 'STDERR', 'busybox'],
  ['-a', 'stdin', 'busybox'],
  ['--device', '/dev/fuse', '--device', '/dev/null:/dev/n:r', '--group-add', '10', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox'],
  ['--log-driver', 'json-file', '--log-opt', 'max-size=1m', '--health-cmd', 'true', '--health-interval', '5s', '--health-retries', '2', 'busybox'],
  ['--no-healthcheck', '--ipc', 'host', '--pid', 'host', '--uts', 'host', '--oom-score-adj', '100', '--oom-kill-disable', 'busybox'],
  ['--network', 'mynet', '--network-alias', 'web', 'busybox'],
  ['--pull', 'never', '--platform', 'linux/amd64', '--annotation', 'k=v', 'busybox'],
  ['-d', '--name', 'dd', '-i', 'busybox', 'sleep', '1'],
  ['-d', '--rm', 'busybox'],
  ['--rm', '-i', 'busybox', '--', 'cat', '-n'],
  ['--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--mount', 'type=bind,src=/tmp,dst=/x,ro,bind-propagation=rslave', '--mount', 'source=v,target=/z,volume-label=a=b,volume-driver=local,volume-opt=o=1', '--mount', 'type=volume,target=/w,volume-subpath=sub', 'busybox'],
  ['-p', '80-81:8080-8081', '-p', '[::1]:5000:5000/udp', '--expose', '9/udp', 'busybox'],
  ['--blkio-weight', '300', '--blkio-weight-device', '/dev/sda:200', '--device-read-bps', '/dev/sda:1mb', '--device-write-bps', '/dev/sda:2kb', '--device-read-iops', '/dev/sda:100', '--device-write-iops', '/dev/sda:200', '--cpu-rt-period', '1000', '--cpu-rt-runtime', '500', 'busybox'],
  ['--gpus', 'all', '--disable-content-trust', 'busybox'],
  ['--gpus', '"device=1,2"', 'busybox'],
  ['--gpus', 'count=2,capabilities=compute', 'busybox'],
  ['--network', 'mynet', '--ip', '10.1.2.3', '--ip6', 'fd00::3', '--link-local-ip', '169.254.1.1', 'busybox'],
  ['--network', 'mynet', '--link-local-ip', '169.254.1.1', 'busybox'],
];

/** Run docker against the fake daemon and return the create request it sent. */
async function dockerCreateBody(d: FakeDaemon, args: string[]): Promise<{ url: string; body: unknown }> {
  const before = d.requests.length;
  const verb = args.includes('-d') ? 'run' : 'create';
  await new Promise<void>((resolve) => {
    const child = execFile(DOCKER, [verb, ...args], { env: { ...ENV, DOCKER_HOST: d.host }, timeout: 10000 }, () => resolve());
    child.stdin?.end();
  });
  const rec = d.requests.slice(before).find((r) => r.url.includes('/containers/create'));
  assert.ok(rec, `docker sent no create for ${args.join(' ')}`);
  return { url: rec.url, body: JSON.parse(rec.body) };
}

test('create bodies match what docker 28 sends for the same flags', { skip: !existsSync(DOCKER) && 'no docker CLI' }, async () => {
  const d = await new FakeDaemon().start();
  d.route((r, res) => { if (r.url.includes('/containers/create')) json(res, 201, { Id: 'abc', Warnings: [] }); });
  try {
    for (const args of CASES) {
      const expected = await dockerCreateBody(d, args);
      const { request } = parseRunArgs(args, ENV);
      const ours = JSON.parse(JSON.stringify(request.body));
      // docker 28 emits -e values and -v binds in an order that changes from run to run
      // (iteration over a map); berth keeps command-line order. Compare them as sets.
      for (const b of [ours, expected.body as Record<string, unknown> & { HostConfig: Record<string, unknown> }]) {
        if (Array.isArray(b.Env)) b.Env = [...b.Env].sort();
        if (Array.isArray(b.HostConfig.Binds)) b.HostConfig.Binds = [...b.HostConfig.Binds].sort();
      }
      assert.deepStrictEqual(ours, expected.body, `body for: ${args.join(' ')}`);
      const q = new URL(`http://x${expected.url}`).searchParams;
      assert.equal(request.name, q.get('name') ?? undefined, `name for: ${args.join(' ')}`);
      assert.equal(request.platform, q.get('platform') ?? undefined, `platform for: ${args.join(' ')}`);
    }
  } finally {
    await d.stop();
  }
});

test('validation errors are raised like docker\'s', () => {
  assert.throws(() => parseRunArgs(['--rm', '--restart', 'always', 'busybox']), /conflicting options: cannot specify both --restart and --rm/);
  assert.throws(() => parseRunArgs(['--pull', 'sometimes', 'busybox']), /invalid pull option: 'sometimes'/);
  assert.throws(() => parseRunArgs(['-a', 'stdfoo', 'busybox']), /valid streams are STDIN, STDOUT and STDERR/);
  assert.throws(() => parseRunArgs(['-m', 'lots', 'busybox']), /invalid argument "lots" for "-m, --memory" flag/);
  assert.throws(() => parseRunArgs(['--ulimit', 'nofile', 'busybox']), /invalid ulimit argument/);
});
