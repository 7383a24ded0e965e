/**
 * Builder behaviour that needs berthd itself (BuildKit-era syntax the classic builder of
 * dockerd 20.10 does not have, and state across a daemon restart), driven over the API
 * with `berth build` and raw HTTP: heredocs in RUN and COPY, RUN --mount=type=cache|bind|
 * tmpfs, the step cache kept over a restart, tolerant query parsing, remote contexts from
 * a loopback URL, and `system df` / POST /build/prune.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pack } from 'tar-stream';
import { type Cli, TestDaemon, importBusybox, makeCli, request, target } from '../harness';

const skip = target() === 'docker' && 'berthd only: heredocs, RUN --mount and the restart check are berth behaviour';

function ctxDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-bi-'));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t);
  return dir;
}

function postTar(socket: string, query: string, body?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'POST', path: `/v1.41/build?${query}`, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('builder (berthd)', { skip, timeout: 10 * 60_000 }, () => {
  let daemon: TestDaemon;
  let berth: Cli;
  let docker: Cli;
  before(async () => {
    daemon = await TestDaemon.start({ name: 'build-int' });
    docker = makeCli('docker', daemon.socket);
    berth = makeCli('berth', daemon.socket);
    await importBusybox(docker);
  });
  after(async () => { await daemon?.stop(); });

  test('heredocs in RUN and COPY; RUN --mount=type=cache, bind and tmpfs', async () => {
    const dir = ctxDir({
      'ctx.txt': 'from the context\n',
      Dockerfile: [
        'FROM busybox', 'ARG NAME=world',
        'RUN <<EOF', 'echo "hello $NAME" > /hello.txt', 'echo second >> /hello.txt', 'EOF',
        'RUN cat <<EOT > /cat.txt', 'cat $NAME', 'EOT',
        'COPY <<EOF /etc/app.ini', 'name=${NAME}', 'EOF',
        'COPY <<-"RAW" /raw.txt', '\tkeep $NAME', '\tRAW',
        'RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /count',
        'RUN --mount=type=bind,target=/ctx cp /ctx/ctx.txt /bound.txt',
        'RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && ls /scratch > /tmpfs.txt',
        'RUN --mount=type=bind,from=busybox,source=/etc,target=/other head -1 /other/group > /group.txt', '',
      ].join('\n'),
    });
    try {
      const r = await berth(['build', '-t', 'bt-heredoc', dir], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = await docker(['run', '--rm', '--network', 'none', 'bt-heredoc', 'sh', '-c', 'cat /hello.txt /cat.txt /etc/app.ini /raw.txt /count /bound.txt /tmpfs.txt; ls /scratch | wc -l']);
      assert.equal(out.stdout, 'hello world\nsecond\ncat world\nname=world\nkeep $NAME\n1\nfrom the context\nx\n0\n');
      // the cache mount outlives the step: a rebuild without cache sees the first run's line
      const again = await berth(['build', '--no-cache', '-t', 'bt-heredoc', dir], { timeoutMs: 60_000 });
      assert.equal(again.code, 0, again.stderr);
      const count = await docker(['run', '--rm', '--network', 'none', 'bt-heredoc', 'cat', '/count', '/group.txt']);
      assert.equal(count.stdout, '2\nroot:x:0:\n');
      // what a bind mount shows is part of the cache key: a changed context file reruns that step
      fs.writeFileSync(path.join(dir, 'ctx.txt'), 'changed\n');
      const third = await berth(['build', '-t', 'bt-heredoc', dir], { timeoutMs: 60_000 });
      assert.equal(third.code, 0, third.stderr);
      assert.match(third.stdout, /RUN --mount=type=bind,target=\/ctx cp \/ctx\/ctx.txt \/bound.txt\n ---> Running in/);
      const bound = await docker(['run', '--rm', '--network', 'none', 'bt-heredoc', 'cat', '/bound.txt']);
      assert.equal(bound.stdout, 'changed\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await docker(['rmi', '-f', 'bt-heredoc']);
    }
  });

  test('nothing leaves the context or the image root: symlinks in the context and the image, .. in the tar', async () => {
    const marker = `berth-build-escape-${process.pid}`;
    const dir = ctxDir({ 'f.txt': 'payload\n', Dockerfile: `FROM busybox\nRUN ln -s / /danger\nCOPY f.txt /danger/tmp/${marker}\nCOPY evil /evil-copy\n` });
    fs.symlinkSync('/etc/hostname', path.join(dir, 'evil'));
    try {
      const r = await berth(['build', '-t', 'bt-escape', dir], { timeoutMs: 60_000 });
      // evil resolves inside the context, where there is no etc/hostname
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat /);
      assert.equal(fs.existsSync(`/tmp/${marker}`), false, 'COPY through an image symlink wrote to the host');
      fs.rmSync(path.join(dir, 'evil'));
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM busybox\nRUN ln -s / /danger\nCOPY f.txt /danger/tmp/${marker}\n`);
      const ok = await berth(['build', '-t', 'bt-escape', dir], { timeoutMs: 60_000 });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(fs.existsSync(`/tmp/${marker}`), false);
      const inImage = await docker(['run', '--rm', '--network', 'none', 'bt-escape', 'cat', `/tmp/${marker}`]);
      assert.equal(inImage.stdout, 'payload\n');
      // a context tar whose member climbs out: GNU tar drops the ../ (the file lands inside)
      const pk = pack();
      pk.entry({ name: 'Dockerfile' }, 'FROM busybox\n');
      pk.entry({ name: `../../../tmp/${marker}-tar` }, 'escaped\n');
      pk.entry({ name: `/tmp/${marker}-abs` }, 'escaped\n');
      pk.finalize();
      const chunks: Buffer[] = [];
      for await (const c of pk) chunks.push(c as Buffer);
      const tarball = Buffer.concat(chunks);
      const out = await postTar(daemon.socket, 't=bt-escape2', Buffer.concat([tarball]));
      assert.doesNotMatch(out, /"error"/, out);
      assert.equal(fs.existsSync(`/tmp/${marker}-tar`), false);
      assert.equal(fs.existsSync(`/tmp/${marker}-abs`), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      for (const f of ['', '-tar', '-abs']) fs.rmSync(`/tmp/${marker}${f}`, { force: true });
      await docker(['rmi', '-f', 'bt-escape', 'bt-escape2']);
    }
  });

  test('RUN steps get the build\'s memory limit, extra hosts and network mode', async () => {
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nRUN (cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes) > /mem && grep buildhost /etc/hosts > /hosts && ls /sys/class/net > /nets\n' });
    try {
      const r = await docker(['build', '-m', '64m', '--add-host', 'buildhost:10.1.2.3', '--network', 'none', '-t', 'bt-limits', dir], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = await docker(['run', '--rm', '--network', 'none', 'bt-limits', 'cat', '/mem', '/hosts', '/nets']);
      assert.equal(out.stdout, `${64 * 1024 * 1024}\n10.1.2.3\tbuildhost\nlo\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await docker(['rmi', '-f', 'bt-limits']);
    }
  });

  test('FROM --platform: the local image when it fits, a pull (here failing: no registry) when it does not', async () => {
    const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    const other = arch === 'amd64' ? 'arm64' : 'amd64';
    const dir = ctxDir({ Dockerfile: `FROM --platform=linux/${arch} busybox\nENV P=1\n` });
    try {
      const okRun = await docker(['build', '-t', 'bt-plat', dir], { timeoutMs: 60_000 });
      assert.equal(okRun.code, 0, okRun.stderr);
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM --platform=linux/${other} busybox\nENV P=1\n`);
      const bad = await docker(['build', dir], { timeoutMs: 60_000 });
      assert.equal(bad.code, 1, bad.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await docker(['rmi', '-f', 'bt-plat']);
    }
  });

  test('the step cache survives a daemon restart', async () => {
    const dir = ctxDir({ 'a.txt': 'a\n', Dockerfile: 'FROM busybox\nENV X=1\nRUN echo x > /x\nCOPY a.txt /\nWORKDIR /w\nCMD ["true"]\n' });
    try {
      const first = await docker(['build', '-t', 'bt-restart', dir], { timeoutMs: 60_000 });
      assert.equal(first.code, 0, first.stderr);
      await daemon.restart();
      const again = await docker(['build', '-t', 'bt-restart', dir], { timeoutMs: 60_000 });
      assert.equal(again.code, 0, again.stderr);
      assert.equal((again.stdout.match(/ ---> Using cache/g) ?? []).length, 5, again.stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await docker(['rmi', '-f', 'bt-restart']);
    }
  });

  test('tolerant query parsing, remote context from a loopback URL, build cache in system df and /build/prune', async () => {
    const dir = ctxDir({ Dockerfile: 'FROM busybox\nLABEL remote=yes\n' });
    const tarball = execFileSync('tar', ['-C', dir, '-cf', '-', 'Dockerfile']);
    fs.writeFileSync(path.join(dir, 'ctx.tar'), tarball);
    // the server runs in the daemon's network namespace, where berthd's loopback is
    const serve = `require('http').createServer((q,s)=>{s.writeHead(200,{'Content-Type':'application/x-tar'});s.end(require('fs').readFileSync(${JSON.stringify(path.join(dir, 'ctx.tar'))}))}).listen(18080,'127.0.0.1',()=>console.log('up'))`;
    const server = spawn('nsenter', [`--net=/run/netns/${daemon.netns}`, process.execPath, '-e', serve], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => server.stdout!.once('data', () => r()));
    try {
      const out = await postTar(daemon.socket, 'cachefrom=%5B%5D&buildargs=&labels=%7B%7D&t=bt-q', tarball);
      assert.match(out, /"aux":\{"ID":"sha256:[0-9a-f]{64}"\}/);
      assert.match(out, /Successfully tagged bt-q:latest/);
      const remote = await postTar(daemon.socket, `remote=${encodeURIComponent('http://127.0.0.1:18080/ctx.tar')}&t=bt-remote`);
      assert.match(remote, /Successfully tagged bt-remote:latest/, remote);
      const insp = await request(daemon.socket, 'GET', '/images/bt-remote/json');
      assert.equal(insp.json.Config.Labels.remote, 'yes');
      // ADD <url>: downloaded (not unpacked), named after the URL's last part, mode 0600
      const addDir = ctxDir({ Dockerfile: 'FROM busybox\nADD http://127.0.0.1:18080/files/ctx.tar /dl/\nRUN stat -c "%a %s" /dl/ctx.tar > /dl/stat\n' });
      try {
        const add = await berth(['build', '-t', 'bt-addurl', addDir], { timeoutMs: 60_000 });
        assert.equal(add.code, 0, add.stdout + add.stderr);
        const st = await docker(['run', '--rm', '--network', 'none', 'bt-addurl', 'cat', '/dl/stat']);
        assert.equal(st.stdout, `600 ${tarball.length}\n`);
      } finally {
        fs.rmSync(addDir, { recursive: true, force: true });
        await docker(['rmi', '-f', 'bt-addurl']);
      }
      const df = await request(daemon.socket, 'GET', '/system/df');
      assert.equal(df.status, 200);
      const prune = await request(daemon.socket, 'POST', '/build/prune');
      assert.equal(prune.status, 200);
      assert.equal(typeof prune.json.SpaceReclaimed, 'number');
    } finally {
      server.kill();
      fs.rmSync(dir, { recursive: true, force: true });
      await docker(['rmi', '-f', 'bt-q', 'bt-remote']);
    }
  });
  test('--cache-from an image dockerd built (saved there, loaded here) gives the very same image', async () => {
    const dk = await TestDaemon.start({ name: 'build-int-dk', target: 'docker' });
    const dir = ctxDir({ 'a.txt': 'cross\n', Dockerfile: 'FROM busybox\nENV X=1\nRUN echo x > /x\nCOPY a.txt /a/\nCOPY . /ctx/\nWORKDIR /w\nCMD ["true"]\n' });
    try {
      const dkCli = makeCli('docker', dk.socket);
      await importBusybox(dkCli);
      const b = await dkCli(['build', '-t', 'bt-cross', dir], { timeoutMs: 60_000 });
      assert.equal(b.code, 0, b.stderr);
      const want = (await dkCli(['image', 'inspect', '-f', '{{.Id}}', 'bt-cross'])).stdout.trim();
      for (const img of ['busybox', 'bt-cross']) {
        const f = path.join(dir, `${img}.tar`);
        assert.equal((await dkCli(['save', '-o', f, img])).code, 0);
        const l = await docker(['load', '-i', f]);
        assert.equal(l.code, 0, l.stderr);
        fs.rmSync(f);
      }
      const r = await docker(['build', '--cache-from', 'bt-cross', '-t', 'bt-cross2', dir], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((r.stdout.match(/ ---> Using cache/g) ?? []).length, 6, r.stdout);
      assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', 'bt-cross2'])).stdout.trim(), want);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await dk.stop();
      await docker(['rmi', '-f', 'bt-cross', 'bt-cross2']);
    }
  });
});
