/**
 * docker cp through the real docker CLI and through berth, written to pass against dockerd
 * too (TARGET=docker): round trips keep content and modes, -a keeps owners, trailing /.
 * copies contents, - streams tars, -L follows links, stopped containers, volumes and binds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestDaemon, makeCli, importBusybox, type Cli } from '../integration/harness';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root (a daemon)';
const N = ['--network', 'none'];

let d: TestDaemon;
let clis: Cli[] = [];
let work = '';

async function ok(cli: Cli, args: string[], input?: string | Buffer): Promise<string> {
  const r = await cli(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `${cli.kind} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** "path mode uid:gid [-> target|size]" for every entry of a tree, sorted. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string, rel: string) => {
    const st = fs.lstatSync(p);
    const extra = st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : st.isFile() ? `${st.size} ${fs.readFileSync(p, 'utf8')}` : 'dir';
    out.push(`${rel || '.'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${extra}`);
    if (st.isDirectory()) for (const c of fs.readdirSync(p)) walk(path.join(p, c), rel ? `${rel}/${c}` : c);
  };
  walk(root, '');
  return out.sort();
}

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start({ name: 'cp' });
  clis = [makeCli('docker', d.socket), makeCli('berth', d.socket)];
  await importBusybox(clis[0]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cp-'));
  const src = path.join(work, 'tree');
  fs.mkdirSync(path.join(src, 'sub', 'deeper'), { recursive: true });
  fs.writeFileSync(path.join(src, 'plain'), 'plain\n');
  fs.writeFileSync(path.join(src, 'secret'), 'secret\n', { mode: 0o600 });
  fs.writeFileSync(path.join(src, 'sub', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  fs.writeFileSync(path.join(src, 'sub', 'deeper', 'owned'), 'owned\n');
  fs.symlinkSync('plain', path.join(src, 'link'));
  fs.chmodSync(path.join(src, 'sub'), 0o750);
  execFileSync('chown', ['-h', '1000:1000', path.join(src, 'sub', 'deeper', 'owned'), path.join(src, 'sub', 'deeper')]);
  fs.mkdirSync(path.join(work, 'bind'));
});

after(async () => {
  if (!isRoot) return;
  await d?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

for (const i of [0, 1]) {
  const kind = i === 0 ? 'docker' : 'berth';
  const cli = () => clis[i];
  const name = `cp-${kind}`;

  test(`${kind}: a tree round trip keeps content, modes and (with -a) owners`, { skip }, async () => {
    await ok(cli(), ['run', '-d', ...N, '--name', name, '-v', `cpvol-${kind}:/vol`, '-v', `${path.join(work, 'bind')}:/bind`, 'busybox', 'sleep', '600']);
    const src = path.join(work, 'tree');
    await ok(cli(), ['cp', src, `${name}:/tmp/`]);
    const inside = await ok(cli(), ['exec', name, 'sh', '-c', 'cd /tmp/tree && stat -c "%n %a %u:%g" secret sub/run.sh sub sub/deeper/owned && readlink link']);
    assert.equal(inside, 'secret 600 0:0\nsub/run.sh 755 0:0\nsub 750 0:0\nsub/deeper/owned 644 1000:1000\nplain\n');
    // Out of the container the CLI never chowns (docker's CopyTo uses NoLchown, -a or not).
    const back = path.join(work, `back-${kind}`);
    await ok(cli(), ['cp', '-a', `${name}:/tmp/tree`, back]);
    const own = (l: string) => l.replace(/ 1000:1000 /, ' 0:0 ');
    assert.deepEqual(listing(back), listing(src).map(own));
    // Into a container with a user, -a gives the files to that user (dockerd looks the name up on the host: www-data is 33 in both).
    const u = `cp-user-${kind}`;
    await ok(cli(), ['run', '-d', ...N, '--name', u, '-u', 'www-data', 'busybox', 'sleep', '600']);
    await ok(cli(), ['cp', '-a', path.join(src, 'plain'), `${u}:/tmp/`]);
    await ok(cli(), ['cp', path.join(src, 'sub'), `${u}:/tmp/`]);
    assert.equal(await ok(cli(), ['exec', '-u', '0', u, 'stat', '-c', '%u:%g', '/tmp/plain', '/tmp/sub/deeper/owned']), '33:33\n1000:1000\n');
    await ok(cli(), ['rm', '-f', u]);
  });

  test(`${kind}: trailing /. copies contents; existing dirs receive by name; files replace files`, { skip }, async () => {
    const src = path.join(work, 'tree');
    await ok(cli(), ['exec', name, 'mkdir', '-p', '/dst']);
    await ok(cli(), ['cp', `${src}/.`, `${name}:/dst`]);
    await ok(cli(), ['cp', src, `${name}:/dst`]);
    await ok(cli(), ['cp', path.join(src, 'plain'), `${name}:/dst/renamed`]);
    await ok(cli(), ['cp', path.join(src, 'secret'), `${name}:/dst/plain`]);
    assert.equal(await ok(cli(), ['exec', name, 'sh', '-c', 'ls /dst | sort | tr "\\n" " "; cat /dst/plain /dst/renamed']), 'link plain renamed secret sub tree secret\nplain\n');
    const out = path.join(work, `contents-${kind}`);
    fs.mkdirSync(out);
    await ok(cli(), ['cp', `${name}:/dst/sub/.`, out]);
    assert.deepEqual(fs.readdirSync(out).sort(), ['deeper', 'run.sh']);
    const r = await cli()(['cp', path.join(src, 'sub'), `${name}:/dst/plain`]);
    assert.notEqual(r.code, 0);
    const missing = await cli()(['cp', `${name}:/nope`, path.join(work, 'x')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Could not find the file \/nope in container cp-/);
  });

  test(`${kind}: - streams tars both ways; -L follows a link`, { skip }, async () => {
    const r = await cli()(['cp', `${name}:/tmp/tree/sub`, '-']);
    assert.equal(r.code, 0, r.stderr);
    const names = execFileSync('tar', ['-t'], { input: Buffer.from(r.stdout, 'latin1') }).toString().split('\n').filter(Boolean).map((n) => n.replace(/\/$/, '')).sort();
    assert.deepEqual(names, ['sub', 'sub/deeper', 'sub/deeper/owned', 'sub/run.sh']);
    const input = execFileSync('tar', ['-C', path.join(work, 'tree'), '-c', 'plain', 'sub']);
    await ok(cli(), ['exec', name, 'mkdir', '-p', '/fromtar']);
    await ok(cli(), ['cp', '-', `${name}:/fromtar`], input);
    assert.equal(await ok(cli(), ['exec', name, 'sh', '-c', 'cat /fromtar/plain; ls /fromtar/sub']), 'plain\ndeeper\nrun.sh\n');
    const lnk = path.join(work, `followed-${kind}`);
    await ok(cli(), ['cp', '-L', `${name}:/tmp/tree/link`, lnk]);
    assert.equal(fs.readFileSync(lnk, 'utf8'), 'plain\n');
    const raw = path.join(work, `raw-link-${kind}`);
    await ok(cli(), ['cp', `${name}:/tmp/tree/link`, raw]);
    assert.equal(fs.readlinkSync(raw), 'plain');
  });

  test(`${kind}: into and out of volumes and binds, also when the container is stopped`, { skip }, async () => {
    const f = path.join(work, `vfile-${kind}`);
    fs.writeFileSync(f, 'into-volume\n');
    await ok(cli(), ['cp', f, `${name}:/vol/v.txt`]);
    await ok(cli(), ['cp', f, `${name}:/bind/b-${kind}.txt`]);
    assert.equal(fs.readFileSync(path.join(work, 'bind', `b-${kind}.txt`), 'utf8'), 'into-volume\n');
    await ok(cli(), ['stop', '-t', '0', name]);
    const out = path.join(work, `vout-${kind}`);
    await ok(cli(), ['cp', `${name}:/vol/v.txt`, out]);
    assert.equal(fs.readFileSync(out, 'utf8'), 'into-volume\n');
    await ok(cli(), ['cp', f, `${name}:/vol/stopped.txt`]);
    await ok(cli(), ['cp', f, `${name}:/tmp/stopped-root.txt`]);
    await ok(cli(), ['start', name]);
    assert.equal(await ok(cli(), ['exec', name, 'cat', '/vol/stopped.txt', '/tmp/stopped-root.txt']), 'into-volume\ninto-volume\n');
    await ok(cli(), ['rm', '-f', '-v', name]);
    await ok(cli(), ['volume', 'rm', `cpvol-${kind}`]);
  });
}
