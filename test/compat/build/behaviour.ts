/**
 * How `docker build` (classic) behaves beyond the resulting image: the cache (a rebuild
 * hits every step; a changed file rebuilds from its COPY on; --no-cache), Docker's error
 * messages, what --rm/--force-rm leave behind, and the context and Dockerfile from stdin.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { type Cli, type TestDaemon, request } from '../../integration/harness';

function ctxDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-build-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function containerIds(daemon: TestDaemon): Promise<Set<string>> {
  const r = await request(daemon.socket, 'GET', '/containers/json?all=1');
  return new Set((r.json as { Id: string }[]).map((c) => c.Id));
}

const stepCount = (out: string) => (out.match(/^Step \d+\/\d+ :/gm) ?? []).length;
const cacheHits = (out: string) => (out.match(/^ ---> Using cache$/gm) ?? []).length;

export function registerBuildBehaviour(get: () => { daemon: TestDaemon; cli: Cli }): void {
  test('rebuild uses the cache for every step; a changed file rebuilds from its COPY', async () => {
    const { cli } = get();
    const dir = ctxDir({
      Dockerfile: 'FROM busybox\nENV A=1\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nLABEL x=y\nCMD ["cat", "/b.txt"]\n',
      'a.txt': 'first\n',
    });
    try {
      const first = await cli(['build', '-t', 'bt-cache', dir], { timeoutMs: 60_000 });
      assert.equal(first.code, 0, first.stderr);
      const again = await cli(['build', '-t', 'bt-cache', dir], { timeoutMs: 60_000 });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(cacheHits(again.stdout), stepCount(again.stdout) - 1, again.stdout);
      assert.doesNotMatch(again.stdout, /Running in/);
      const id1 = /Successfully built (\w+)/.exec(first.stdout)?.[1];
      assert.equal(/Successfully built (\w+)/.exec(again.stdout)?.[1], id1);
      fs.writeFileSync(path.join(dir, 'a.txt'), 'second\n');
      const changed = await cli(['build', '-t', 'bt-cache', dir], { timeoutMs: 60_000 });
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal(cacheHits(changed.stdout), 2, changed.stdout); // ENV and the first RUN
      assert.match(changed.stdout, /Step 4\/7 : COPY a.txt \/a.txt\n ---> [0-9a-f]{12}\n/);
      const noCache = await cli(['build', '--no-cache', '-t', 'bt-cache', dir], { timeoutMs: 60_000 });
      assert.equal(cacheHits(noCache.stdout), 0, noCache.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await cli(['rmi', '-f', 'bt-cache']);
    }
  });

  test('the cache follows COPY\'s checksum: directories, wildcards, a mode change, files outside the sources or ignored', async () => {
    const { cli } = get();
    const dir = ctxDir({
      Dockerfile: 'FROM busybox\nCOPY dir/ /d/\nCOPY *.txt /t/\nCOPY keep/ /k/\nRUN ls -lR /d /t /k > /list\n',
      '.dockerignore': 'keep/*.log\n!keep/important.log\n',
      'dir/a': 'a', 'dir/sub/b': 'b', 'x.txt': 'x', 'y.txt': 'y', 'keep/a.log': 'ignored', 'keep/important.log': 'kept', 'keep/f': 'f', 'other.bin': 'o',
    });
    // the steps (after FROM) that hit the cache, as 2..5
    const build = async (): Promise<number[]> => {
      const r = await cli(['build', '-t', 'bt-cache-rules', dir], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      return [...r.stdout.matchAll(/^Step (\d+)\/5 : .*\n ---> Using cache$/gm)].map((m) => Number(m[1]));
    };
    const edit = (rel: string, text: string) => fs.writeFileSync(path.join(dir, rel), text);
    try {
      assert.deepEqual(await build(), []);
      assert.deepEqual(await build(), [2, 3, 4, 5], 'nothing changed');
      edit('other.bin', 'changed');
      edit('keep/a.log', 'changed');
      assert.deepEqual(await build(), [2, 3, 4, 5], 'a file no COPY takes, and an ignored one');
      fs.chmodSync(path.join(dir, 'dir/sub/b'), 0o600);
      assert.deepEqual(await build(), [], 'a mode below a copied directory');
      edit('y.txt', 'y2');
      assert.deepEqual(await build(), [2], 'a file a wildcard matches');
      edit('keep/important.log', 'kept2');
      assert.deepEqual(await build(), [2, 3], 'a file kept by a ! exception');
      edit('z.txt', 'new');
      assert.deepEqual(await build(), [2], 'a new file a wildcard matches');
      assert.deepEqual(await build(), [2, 3, 4, 5]);
      const list = await cli(['run', '--rm', '--network', 'none', 'bt-cache-rules', 'cat', '/list']);
      assert.match(list.stdout, /z\.txt/);
      assert.match(list.stdout, /important\.log/);
      assert.doesNotMatch(list.stdout, /a\.log/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await cli(['rmi', '-f', 'bt-cache-rules']);
    }
  });

  test('--cache-from an image without its build history (saved and loaded) hits every step', async (t) => {
    const { cli } = get();
    const dir = ctxDir({ 'a.txt': 'cf\n', Dockerfile: 'FROM busybox\nENV CF=1\nRUN echo cf > /cf\nCOPY a.txt /a.txt\nCMD ["cat", "/cf"]\n' });
    const tarFile = path.join(dir, 'img.tar');
    try {
      const first = await cli(['build', '-t', 'bt-cachefrom', dir], { timeoutMs: 60_000 });
      assert.equal(first.code, 0, first.stderr);
      const id = JSON.parse((await cli(['image', 'inspect', 'bt-cachefrom'])).stdout)[0].Id as string;
      const saved = await cli(['save', '-o', tarFile, 'bt-cachefrom']);
      if (saved.code !== 0 && /is not kept by this daemon/.test(saved.stderr)) {
        t.skip('berthd cannot save images it built yet (their layer blobs are not kept)');
        return;
      }
      assert.equal(saved.code, 0, saved.stderr);
      assert.equal((await cli(['rmi', 'bt-cachefrom'])).code, 0);
      assert.equal((await cli(['load', '-i', tarFile])).code, 0);
      const without = await cli(['build', '-t', 'bt-cachefrom-x', dir], { timeoutMs: 60_000 });
      assert.equal(cacheHits(without.stdout), 0, without.stdout);
      assert.equal((await cli(['rmi', 'bt-cachefrom-x'])).code, 0);
      const again = await cli(['build', '--cache-from', 'bt-cachefrom', '-t', 'bt-cachefrom', dir], { timeoutMs: 60_000 });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(cacheHits(again.stdout), 4, again.stdout);
      assert.equal(JSON.parse((await cli(['image', 'inspect', 'bt-cachefrom'])).stdout)[0].Id, id);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await cli(['rmi', '-f', 'bt-cachefrom', 'bt-cachefrom-x']);
    }
  });

  test('a failing RUN: Docker message, exit 1, its container kept with --rm and removed with --force-rm', async () => {
    const { daemon, cli } = get();
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN echo going && exit 3\n' });
    try {
      const before = await containerIds(daemon);
      const r = await cli(['build', dir], { timeoutMs: 60_000 });
      assert.equal(r.code, 3, 'docker build exits with the failed step\'s code');
      assert.match(r.stderr, /The command '\/bin\/sh -c echo going && exit 3' returned a non-zero code: 3/);
      assert.match(r.stdout, /going/);
      const kept = [...(await containerIds(daemon))].filter((id) => !before.has(id));
      const info = await Promise.all(kept.map(async (id) => (await request(daemon.socket, 'GET', `/containers/${id}/json`)).json as { Config: { Cmd: string[] } }));
      assert.deepEqual(info.map((c) => c.Config.Cmd), [['/bin/sh', '-c', 'echo going && exit 3']], 'the failed step\'s container stays without --force-rm');
      for (const id of kept) await request(daemon.socket, 'DELETE', `/containers/${id}?force=1`);
      const f = await cli(['build', '--force-rm', dir], { timeoutMs: 60_000 });
      assert.equal(f.code, 3);
      assert.match(f.stdout, /Removing intermediate container [0-9a-f]{12}/);
      assert.deepEqual([...(await containerIds(daemon))].filter((id) => !before.has(id)), []);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });

  test('--rm=false keeps the RUN step\'s container after a successful build', async () => {
    const { daemon, cli } = get();
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN echo kept > /kept\nENV AFTER=1\n' });
    try {
      const before = await containerIds(daemon);
      const r = await cli(['build', '--rm=false', dir], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /Removing intermediate container/);
      const fresh = [...(await containerIds(daemon))].filter((id) => !before.has(id));
      const cmds = await Promise.all(fresh.map(async (id) => ((await request(daemon.socket, 'GET', `/containers/${id}/json`)).json as { Config: { Cmd: string[] } }).Config.Cmd));
      assert.deepEqual(cmds.filter((c) => c.join(' ') === '/bin/sh -c echo kept > /kept').length, 1);
      for (const id of fresh) await request(daemon.socket, 'DELETE', `/containers/${id}?force=1`);
    } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  });

  const errors: [string, Record<string, string>, RegExp][] = [
    ['unknown instruction', { Dockerfile: 'FROM busybox\nFOO bar\n' }, /Error response from daemon: dockerfile parse error line 2: unknown instruction: FOO/],
    ['missing COPY source', { Dockerfile: 'FROM busybox\nCOPY nope.txt /x\n' }, /COPY failed: (file not found in build context or excluded by \.dockerignore: )?stat nope\.txt: file does not exist/],
    ['COPY from outside the context', { Dockerfile: 'FROM busybox\nCOPY ../outside /x\n' }, /COPY failed: forbidden path outside the build context: \.\.\/outside \(\)/],
    ['several sources need a directory', { Dockerfile: 'FROM busybox\nCOPY a b /x\n', a: '', b: '' }, /When using COPY with more than one source file, the destination must be a directory and end with a \//],
    ['unknown target', { Dockerfile: 'FROM busybox AS one\n' }, /failed to reach build target nope in Dockerfile/],
    ['SHELL not in JSON form', { Dockerfile: 'FROM busybox\nSHELL sh -c\n' }, /Error response from daemon: dockerfile parse error line 2: SHELL requires the arguments to be in JSON form/],
    ['ENV with one argument', { Dockerfile: 'FROM busybox\nENV A\n' }, /Error response from daemon: failed to parse Dockerfile: ENV must have two arguments/],
    ['bad HEALTHCHECK duration', { Dockerfile: 'FROM busybox\nHEALTHCHECK --interval=xx CMD true\n' }, /Error response from daemon: dockerfile parse error line 2: time: invalid duration "xx"/],
    ['USER that does not exist', { Dockerfile: 'FROM busybox\nUSER nobodyx\nRUN true\n' }, /unable to find user nobodyx: no matching entries in passwd file/],
  ];
  for (const [title, files, re] of errors) {
    test(`error: ${title}`, async () => {
      const { cli } = get();
      const dir = ctxDir(files);
      try {
        const r = await cli(['build', ...(title === 'unknown target' ? ['--target', 'nope'] : []), dir], { timeoutMs: 60_000 });
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, re);
      } finally { fs.rmSync(dir, { recursive: true, force: true }); }
    });
  }

  test('Dockerfile from stdin (-f -), context tar on stdin, -q and --iidfile', async () => {
    const { cli } = get();
    const dir = ctxDir({ 'f.txt': 'from context\n', Dockerfile: 'FROM busybox\nCOPY f.txt /f.txt\n' });
    const iid = path.join(dir, 'iid');
    try {
      const viaStdin = await cli(['build', '-f', '-', '-t', 'bt-stdin', dir], { input: 'FROM busybox\nCOPY f.txt /g.txt\nLABEL via=stdin\n', timeoutMs: 60_000 });
      assert.equal(viaStdin.code, 0, viaStdin.stderr);
      const insp = JSON.parse((await cli(['image', 'inspect', 'bt-stdin'])).stdout)[0];
      assert.equal(insp.Config.Labels.via, 'stdin');
      const tarball = execFileSync('tar', ['-C', dir, '-cf', '-', 'Dockerfile', 'f.txt']);
      const q = await cli(['build', '-q', '--iidfile', iid, '-'], { input: tarball, timeoutMs: 60_000 });
      assert.equal(q.code, 0, q.stderr);
      assert.match(q.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
      assert.equal(fs.readFileSync(iid, 'utf8').trim(), q.stdout.trim());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await cli(['rmi', '-f', 'bt-stdin']);
    }
  });
}
