import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { isInvalidParameter } from '../../../src/errdefs';
import { buildExecProcess, buildSpec, SpecInput } from '../../../src/runtime/spec';
import { boundingCaps, capMask, CAPABILITIES, normalizeCap, resolveCaps } from '../../../src/runtime/caps';
import { daemonRlimits, resolveRlimits } from '../../../src/runtime/spec-defaults';
import { parseSignal } from '../../../src/runtime/signals';

const ALL = CAPABILITIES.map((c) => `CAP_${c}`);
const HOST_CAPS = ALL.filter((c) => c !== 'CAP_SYS_RESOURCE'); // like this host's CapBnd 000001fffeffffff (bit 24 clear)

const input = (over: Partial<SpecInput> = {}): SpecInput => ({
  id: 'abc', rootfs: '/r/rootfs', args: ['sh'], env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal: false,
  availableCaps: HOST_CAPS, hostname: 'abc', ...over,
});

describe('capabilities', () => {
  it("docker's default set is CapEff 0xa80425fb", () => {
    const spec = buildSpec(input());
    assert.equal(capMask(spec.process.capabilities.effective), 0xa80425fbn);
    assert.equal(spec.process.capabilities.bounding.length, 14);
  });
  it('reads CapBnd', () => {
    const caps = boundingCaps('Name:\tx\nCapBnd:\t000001fffeffffff\n');
    assert.equal(caps.includes('CAP_SYS_RESOURCE'), false);
    assert.equal(caps.includes('CAP_MAC_OVERRIDE'), true);
    assert.equal(caps.includes('CAP_SYS_ADMIN'), true);
    assert.equal(caps.length, 40);
  });
  it('normalizes names', () => {
    assert.equal(normalizeCap('net_admin'), 'CAP_NET_ADMIN');
    assert.equal(normalizeCap('CAP_SYS_ADMIN'), 'CAP_SYS_ADMIN');
    assert.equal(normalizeCap('all'), 'ALL');
    assert.throws(() => normalizeCap('FLY'), isInvalidParameter);
  });
  it('adds and drops like docker', () => {
    const r = resolveCaps({ capAdd: ['NET_ADMIN'], capDrop: ['chown', 'CAP_KILL'], available: HOST_CAPS });
    assert.ok(r.includes('CAP_NET_ADMIN'));
    assert.ok(!r.includes('CAP_CHOWN') && !r.includes('CAP_KILL'));
    assert.deepEqual(resolveCaps({ capDrop: ['ALL'], capAdd: ['NET_BIND_SERVICE'], available: HOST_CAPS }), ['CAP_NET_BIND_SERVICE']);
    const all = resolveCaps({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'], available: HOST_CAPS });
    assert.equal(all.length, HOST_CAPS.length - 1);
    assert.throws(() => resolveCaps({ capAdd: ['SYS_RESOURCE'], available: HOST_CAPS }), isInvalidParameter);
  });
  it('privileged gets every cap the daemon holds, no masks, host devices, all device access', () => {
    const spec = buildSpec(input({ privileged: true }));
    assert.deepEqual(spec.process.capabilities.bounding, HOST_CAPS);
    assert.deepEqual(spec.linux.maskedPaths, []);
    assert.deepEqual(spec.linux.readonlyPaths, []);
    assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
    assert.ok(spec.linux.devices.some((d: { path: string }) => d.path === '/dev/null'));
    assert.ok(spec.mounts.find((m: { destination: string }) => m.destination === '/sys').options.includes('rw'));
  });
  it('a non-root user gets bounding caps only', () => {
    const spec = buildSpec(input({ user: { uid: 1000, gid: 1000, additionalGids: [10] } }));
    assert.equal(spec.process.capabilities.bounding.length, 14);
    assert.deepEqual(spec.process.capabilities.effective, []);
    assert.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [10] });
  });
});

describe('buildSpec', () => {
  it("has docker's mounts, masked and readonly paths, device rules and cgroup path", () => {
    const spec = buildSpec(input());
    assert.equal(spec.ociVersion, '1.0.2');
    assert.deepEqual(spec.root, { path: '/r/rootfs', readonly: false });
    const dests = spec.mounts.map((m: { destination: string }) => m.destination);
    assert.deepEqual(dests, ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
    const shm = spec.mounts.find((m: { destination: string }) => m.destination === '/dev/shm');
    assert.ok(shm.options.includes('size=67108864'));
    assert.ok(spec.mounts.find((m: { destination: string }) => m.destination === '/sys').options.includes('ro'));
    assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
    assert.ok(spec.linux.readonlyPaths.includes('/proc/sys'));
    assert.deepEqual(spec.linux.resources.devices[0], { allow: false, access: 'rwm' });
    assert.ok(spec.linux.resources.devices.some((d: { major?: number; minor?: number }) => d.major === 1 && d.minor === 3));
    assert.equal(spec.linux.cgroupsPath, '/berth/abc');
    assert.equal(spec.hostname, 'abc');
    assert.equal(spec.process.cwd, '/');
    assert.equal(spec.linux.seccomp, undefined);
  });
  it('sets namespaces: new, host and paths', () => {
    const types = (s: ReturnType<typeof buildSpec>) => s.linux.namespaces.map((n: { type: string; path?: string }) => n.path ? `${n.type}=${n.path}` : n.type);
    assert.deepEqual(types(buildSpec(input())), ['pid', 'network', 'ipc', 'uts', 'mount']);
    assert.deepEqual(types(buildSpec(input({ namespaces: { network: 'host' } }))), ['pid', 'ipc', 'uts', 'mount']);
    assert.deepEqual(types(buildSpec(input({ namespaces: { network: { path: '/run/netns/x' } } }))), ['pid', 'network=/run/netns/x', 'ipc', 'uts', 'mount']);
    const hostUts = buildSpec(input({ namespaces: { uts: 'host', pid: 'host' } }));
    assert.deepEqual(types(hostUts), ['network', 'ipc', 'mount']);
    assert.equal(hostUts.hostname, undefined);
    assert.throws(() => buildSpec(input({ namespaces: { network: { path: 'rel' } } })), isInvalidParameter);
  });
  it('adds bind and tmpfs mounts; a user mount replaces a default at the same place', () => {
    const spec = buildSpec(input({
      shmSize: 1 << 20, readonlyRootfs: true,
      mounts: [
        { destination: '/etc/hosts', type: 'bind', source: '/c/hosts' },
        { destination: '/data', type: 'bind', source: '/v', readonly: true },
        { destination: '/dev/shm', type: 'tmpfs', options: ['size=1k'] },
      ],
    }));
    assert.equal(spec.root.readonly, true);
    const hosts = spec.mounts.find((m: { destination: string }) => m.destination === '/etc/hosts');
    assert.deepEqual(hosts, { destination: '/etc/hosts', type: 'bind', source: '/c/hosts', options: ['rbind', 'rprivate', 'rw'] });
    assert.ok(spec.mounts.find((m: { destination: string }) => m.destination === '/data').options.includes('ro'));
    const shm = spec.mounts.filter((m: { destination: string }) => m.destination === '/dev/shm');
    assert.equal(shm.length, 1);
    assert.ok(shm[0].options.includes('size=1k'));
    assert.throws(() => buildSpec(input({ mounts: [{ destination: 'x', type: 'tmpfs' }] })), isInvalidParameter);
  });
  it('refuses an empty command and a relative cwd', () => {
    assert.throws(() => buildSpec(input({ args: [] })), isInvalidParameter);
    assert.throws(() => buildSpec(input({ cwd: 'tmp' })), isInvalidParameter);
  });
  it('keeps rlimits within the daemon limits and sets oomScoreAdj, sysctl, resources, seccomp hook', () => {
    const spec = buildSpec(input({ oomScoreAdj: 500, sysctl: { 'net.ipv4.ip_forward': '1' }, resources: { memory: { limit: 1 << 20 } }, seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } }));
    const nofile = spec.process.rlimits.find((r: { type: string }) => r.type === 'RLIMIT_NOFILE');
    assert.ok(nofile.hard <= daemonRlimits().get('RLIMIT_NOFILE')!.hard);
    assert.equal(spec.process.oomScoreAdj, 500);
    assert.deepEqual(spec.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
    assert.deepEqual(spec.linux.resources.memory, { limit: 1 << 20 });
    assert.deepEqual(spec.linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW' });
  });
  it('parses /proc/self/limits and lets user ulimits override', () => {
    const text = 'Limit  Soft Limit  Hard Limit  Units\nMax open files            1024                 20000                files     \n';
    const own = daemonRlimits(text);
    assert.deepEqual(own.get('RLIMIT_NOFILE'), { soft: 1024, hard: 20000 });
    assert.deepEqual(resolveRlimits(undefined, own), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
    assert.deepEqual(resolveRlimits([{ type: 'nofile', soft: 10, hard: 20 }, { type: 'nproc', soft: 5, hard: 5 }], own),
      [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }, { type: 'RLIMIT_NPROC', soft: 5, hard: 5 }]);
  });
  it('builds an exec process from the container process', () => {
    const spec = buildSpec(input({ capAdd: ['NET_ADMIN'], noNewPrivileges: true }));
    const p = buildExecProcess({ args: ['ls'], env: ['A=1'], user: { uid: 0, gid: 0 }, terminal: true, containerSpec: spec, cwd: '/tmp' });
    assert.deepEqual(p.args, ['ls']);
    assert.equal(p.terminal, true);
    assert.equal(p.cwd, '/tmp');
    assert.equal(p.noNewPrivileges, true);
    assert.ok(p.capabilities.bounding.includes('CAP_NET_ADMIN'));
    const priv = buildExecProcess({ args: ['ls'], env: [], user: { uid: 0, gid: 0 }, terminal: false, containerSpec: spec, privileged: true, availableCaps: HOST_CAPS });
    assert.equal(priv.capabilities.effective.length, HOST_CAPS.length);
  });
});

describe('signals', () => {
  it('parses names and numbers', () => {
    for (const s of ['SIGTERM', 'TERM', 'term', '15', 15]) assert.equal(parseSignal(s), 15);
    assert.equal(parseSignal('KILL'), 9);
    assert.equal(parseSignal('SIGRTMIN+3'), 37);
    for (const bad of ['FOO', '0', 0, 65, '-1', '']) assert.throws(() => parseSignal(bad), isInvalidParameter);
  });
});
