/**
 * `berth build` against berthd (or dockerd with TARGET=docker): a few fixtures compared with
 * the same expected.json as docker build's, and what the CLI itself does: -f -, a tar or a
 * bare Dockerfile on stdin, -q, --iidfile, the exit code of a failed step, builder prune.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { type Cli, TestDaemon, importBusybox, makeCli, target } from '../integration/harness';
import { FIXTURES, registerFixtures } from './build/fixtures';
import { filesOf } from './build/image-snapshot';

const SOME = new Set(['arg-scoping', 'copy-dirs', 'dockerignore', 'dockerfile-flag', 'labels-from-cli', 'multistage-target']);

describe(`berth build (-> ${target() === 'docker' ? 'dockerd' : 'berthd'})`, { timeout: 10 * 60_000 }, () => {
  let daemon: TestDaemon;
  let cli: Cli;
  let base: Map<string, string>;
  before(async () => {
    daemon = await TestDaemon.start({ name: 'build-berth' });
    await importBusybox(makeCli('docker', daemon.socket));
    cli = makeCli('berth', daemon.socket);
    base = await filesOf(daemon.socket, 'busybox');
  });
  after(async () => { await daemon?.stop(); });
  registerFixtures(() => ({ daemon, cli, base }), SOME);

  test('-f -, Dockerfile or tar on stdin, -q, --iidfile, failed step exit code, builder prune', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-bb-'));
    try {
      const ctx = path.join(FIXTURES, 'copy-dirs');
      const a = await cli(['build', '-f', '-', '-t', 'bt-bstdin', ctx], { input: 'FROM busybox\nCOPY src/a.txt /a\nLABEL via=stdin\n', timeoutMs: 60_000 });
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /^Sending build context to Docker daemon {2}\S+B\r\r\nStep 1\/3 : FROM busybox\n/);
      assert.match(a.stdout, /Step 3\/3 : LABEL via=stdin/);
      const bare = await cli(['build', '-q', '-'], { input: 'FROM busybox\nENV BARE=1\n', timeoutMs: 60_000 });
      assert.equal(bare.code, 0, bare.stderr);
      assert.match(bare.stdout, /^sha256:[0-9a-f]{64}\n$/);
      const iid = path.join(dir, 'iid');
      const tarball = execFileSync('tar', ['-C', ctx, '-cf', '-', '.']);
      const t = await cli(['build', '--iidfile', iid, '-'], { input: tarball, timeoutMs: 60_000 });
      assert.equal(t.code, 0, t.stderr);
      assert.match(fs.readFileSync(iid, 'utf8'), /^sha256:[0-9a-f]{64}$/);
      const fail = await cli(['build', '-'], { input: 'FROM busybox\nRUN exit 5\n', timeoutMs: 60_000 });
      assert.equal(fail.code, 5);
      assert.match(fail.stderr, /The command '\/bin\/sh -c exit 5' returned a non-zero code: 5/);
      const prune = await cli(['builder', 'prune', '-f'], { timeoutMs: 60_000 });
      assert.equal(prune.code, 0, prune.stderr);
      assert.match(prune.stdout, /Total reclaimed space: /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await cli(['rmi', '-f', 'bt-bstdin']);
    }
  });
});
