import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { DOCKER_DEFAULT_CAPS } from '../../../src/runtime/caps';
import { containerSeccomp, parseSecurityOpts, resolveSeccomp } from '../../../src/runtime/seccomp';
import { DOCKER_DEFAULT_SECCOMP } from '../../../src/runtime/seccomp-default';
import { type ResourceInput, cgroupFeatures, ociResources, parseCpuList, validateResources } from '../../../src/runtime/cgroups-resources';

const allowed = (p: ReturnType<typeof resolveSeccomp>, name: string) =>
  p.syscalls.filter((s) => s.names.includes(name) && s.action === 'SCMP_ACT_ALLOW');

describe('default seccomp profile', () => {
  const base = resolveSeccomp(DOCKER_DEFAULT_SECCOMP, { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernel: '6.1.0', x32: true });

  it('is an allow-list with EPERM by default, for the native arch and its sub-arches', () => {
    assert.equal(base.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(base.defaultErrnoRet, 1);
    assert.deepEqual(base.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    // A kernel built without the x32 ABI gets no x32 branch (nothing there to filter).
    const noX32 = resolveSeccomp(DOCKER_DEFAULT_SECCOMP, { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernel: '6.1.0', x32: false });
    assert.deepEqual(noX32.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
    assert.ok(allowed(base, 'read').length);
    assert.ok(allowed(base, 'arch_prctl').length);
    assert.equal(allowed(base, 's390_runtime_instr').length, 0);
  });

  it('refuses the dangerous syscalls for Docker default caps', () => {
    for (const s of ['keyctl', 'add_key', 'mount', 'umount2', 'unshare', 'kexec_load', 'open_by_handle_at', 'bpf', 'perf_event_open', 'setns', 'reboot']) {
      assert.equal(allowed(base, s).length, 0, s);
    }
    // clone is allowed only without namespace flags
    const clone = allowed(base, 'clone');
    assert.equal(clone.length, 1);
    assert.deepEqual(clone[0].args, [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }]);
    assert.ok(base.syscalls.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO' && s.errnoRet === 38));
  });

  it('opens capability-gated syscalls for added caps', () => {
    const admin = resolveSeccomp(DOCKER_DEFAULT_SECCOMP, { caps: [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'], arch: 'amd64', kernel: '6.1.0' });
    for (const s of ['mount', 'umount2', 'unshare', 'setns', 'clone3']) assert.ok(allowed(admin, s).length, s);
    assert.ok(!admin.syscalls.some((s) => s.names.includes('clone3') && s.action === 'SCMP_ACT_ERRNO'));
    const ptrace = resolveSeccomp(DOCKER_DEFAULT_SECCOMP, { caps: [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_PTRACE'], arch: 'amd64', kernel: '6.1.0' });
    assert.ok(allowed(ptrace, 'kcmp').length);
  });

  it('ptrace only on kernels from 4.8', () => {
    const old = resolveSeccomp(DOCKER_DEFAULT_SECCOMP, { caps: DOCKER_DEFAULT_CAPS, arch: 'amd64', kernel: '4.4.0' });
    assert.equal(allowed(old, 'ptrace').length, 0);
    assert.ok(allowed(base, 'ptrace').length);
  });

  it('security opts: unconfined, JSON profiles, no-new-privileges, errors as dockerd', () => {
    assert.equal(containerSeccomp(parseSecurityOpts(['seccomp=unconfined']), DOCKER_DEFAULT_CAPS, false), undefined);
    assert.equal(containerSeccomp(parseSecurityOpts([]), DOCKER_DEFAULT_CAPS, true), undefined);
    const custom = containerSeccomp(parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"getpid","action":"SCMP_ACT_ERRNO"}]}']), [], false);
    assert.deepEqual(custom?.syscalls, [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO' }]);
    assert.equal(parseSecurityOpts(['no-new-privileges']).noNewPrivileges, true);
    assert.equal(parseSecurityOpts(['no-new-privileges=false']).noNewPrivileges, false);
    assert.throws(() => parseSecurityOpts(['foo=bar']), /invalid --security-opt 2: "foo=bar"/);
    assert.throws(() => parseSecurityOpts(['foo']), /invalid --security-opt 1: "foo"/);
    assert.throws(() => parseSecurityOpts(['seccomp={bad']), /Decoding seccomp profile failed/);
    assert.throws(() => resolveSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: null }] }, { caps: [] }),
      /'architectures' and 'archMap' were specified/);
  });
});

describe('resources', () => {
  const feat = { swap: true, blkioWeight: false, cpus: 2, cpuset: '0-1', mems: '0', v2: false };
  it('fills MemorySwap, drops an unsupported blkio weight with dockerd\'s warning', () => {
    const r: ResourceInput = { Memory: 32 << 20, BlkioWeight: 300 };
    const w = validateResources(r, {}, feat);
    assert.equal(r.MemorySwap, 64 << 20);
    assert.equal(r.BlkioWeight, 0);
    assert.match(w[0], /does not support Block I\/O weight/);
  });
  it('refuses what dockerd refuses', () => {
    assert.throws(() => validateResources({ Memory: 1 << 20 }, {}, feat), /Minimum memory limit allowed is 6MB/);
    assert.throws(() => validateResources({ NanoCpus: 3e9 }, {}, feat), /Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available/);
    assert.throws(() => validateResources({ NanoCpus: 1e9, CpuPeriod: 1000 }, {}, feat), /Nano CPUs and CPU Period cannot both be set/);
    assert.throws(() => validateResources({ CpusetCpus: '5' }, {}, feat), /Requested CPUs are not available - requested 5, available: 0-1/);
    assert.throws(() => validateResources({ BlkioWeight: 5 }, {}, feat), /Range of blkio weight is from 10 to 1000/);
  });
  it('maps to OCI resources', () => {
    assert.deepEqual(ociResources({ Memory: 100, MemorySwap: -1, NanoCpus: 5e8, PidsLimit: 10, CpusetCpus: '0', OomKillDisable: true }), {
      memory: { limit: 100, swap: -1, disableOOMKiller: true }, cpu: { period: 100000, quota: 50000, cpus: '0' }, pids: { limit: 10 },
    });
    assert.deepEqual([...parseCpuList('0-2,5')!], [0, 1, 2, 5]);
    assert.equal(parseCpuList('x'), null);
    assert.equal(typeof cgroupFeatures('/nonexistent').cpus, 'number');
  });
});
