/**
 * docker-py (Debian's python3-docker, the library docker-compose v1 is built on) against
 * berthd: test/compat/clients/docker_py_check.py drives containers (run with output and with
 * a failing command, logs and follow, exec with demux, users and many quick execs, put/get
 * archive, inspect, top, stats, pause, kill, wait, remove), volumes, images and df, asserting
 * as it goes. Local busybox only; containers without a network.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, TestDaemon, importBusybox, makeCli, runArgv } from '../integration/harness';

const PYTHON = '/usr/bin/python3';
const SKIP = (() => {
  try { execFileSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }); return false; } catch { return 'python3-docker is not installed (scripts/setup.sh installs docker-compose, which brings it)'; }
})();

describe('docker-py against the daemon', { skip: SKIP, timeout: 5 * 60_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start({ name: 'compat-docker-py' });
    await importBusybox(makeCli('docker', d.socket));
  });
  after(async () => { await d?.stop(); });

  test('containers, exec, archives, volumes and images through docker-py', async () => {
    const r = await runArgv([PYTHON, path.join(REPO_ROOT, 'test', 'compat', 'clients', 'docker_py_check.py'), d.socket], { ...process.env }, { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /docker-py: all checks passed/);
  });
});
