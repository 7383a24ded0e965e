import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { openContext } from '../../../src/builder/context';
import { resolveSources, sourceChecksum, walkDir } from '../../../src/builder/copy';

/**
 * The build context read from its tar's entry list (before any file is written) must give
 * the same sources, the same .dockerignore result and the same COPY checksums as the
 * directory GNU tar extracts; tars the list cannot stand for are extracted at once.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ctx-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function makeTree(files: Record<string, string | { mode: number; data?: string } | 'dir' | { link: string }>): string {
  const dir = path.join(tmp, `src-${n++}`);
  fs.mkdirSync(dir);
  for (const [rel, v] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (v === 'dir') fs.mkdirSync(p, { recursive: true });
    else if (typeof v === 'string') fs.writeFileSync(p, v);
    else if ('link' in v) fs.symlinkSync(v.link, p);
    else if (v.data === undefined) { fs.mkdirSync(p, { recursive: true }); fs.chmodSync(p, v.mode); } else { fs.writeFileSync(p, v.data); fs.chmodSync(p, v.mode); }
  }
  return dir;
}

/** The tar as the docker CLI sends it: every directory has its own entry, names without ./ */
const tarOf = (dir: string, format = 'posix'): Buffer => {
  const names = fs.readdirSync(dir).sort();
  return execFileSync('tar', ['-c', '-f', '-', `--format=${format}`, '-C', dir, ...names], { maxBuffer: 1 << 28 });
};

async function checksums(root: string, srcs: string[][], view?: Parameters<typeof resolveSources>[3], hashes?: Map<string, string>): Promise<string[]> {
  const out: string[] = [];
  for (const s of srcs) {
    const sources = await resolveSources(root, s, true, view);
    for (const src of sources) out.push(`${src.rel}=${await sourceChecksum(src, hashes ? { root, hashes, view } : undefined)}`);
  }
  return out;
}

const SOURCES = [['.'], ['data'], ['data/*.txt'], ['sub/deep/f'], ['sub'], ['data/x?.bin', 'top.txt']];

test('a cached build reads the entry list: same sources, .dockerignore and checksums as the extracted directory', async () => {
  const long = `${'l'.repeat(90)}/${'m'.repeat(90)}/file-with-a-long-name.txt`;
  const dir = makeTree({
    Dockerfile: 'FROM busybox\nCOPY . /x\n',
    'top.txt': 'top\n',
    'data/a.txt': 'a', 'data/b.txt': '', 'data/x1.bin': 'x'.repeat(70000), 'data/skip.log': 'no',
    'sub/deep/f': { mode: 0o750, data: 'exec' }, 'sub/sgid': { mode: 0o2755 }, 'sub/empty': 'dir', 'sub/private': { mode: 0o600, data: 'p' },
    'ignored/only/file': 'x', 'ignored/keep.me': 'k',
    [long]: 'long',
    '.dockerignore': '# comment\n*.log\n**/*.log\nignored\n!ignored/keep.me\nsub/empty\n',
  });
  for (const format of ['posix', 'gnu', 'ustar', 'spilled']) {
    if (format === 'ustar') fs.rmSync(path.join(dir, long.split('/')[0]), { recursive: true });
    // 'spilled': the tar outgrows the memory kept for it and goes to a temp file
    const tar = tarOf(dir, format === 'spilled' ? 'posix' : format);
    const chunks = Array.from({ length: Math.ceil(tar.length / 8192) }, (_, i) => tar.subarray(i * 8192, (i + 1) * 8192));
    const ctx = await openContext(path.join(tmp, 'ctx'), { body: Readable.from(chunks), memoryLimit: format === 'spilled' ? 20000 : undefined });
    if (format === 'spilled') assert.ok(fs.existsSync(`${ctx.dir}.tar`));
    try {
      assert.ok(ctx.view, `${format}: the entry list stands for the tree`);
      assert.equal(ctx.dockerfile, 'FROM busybox\nCOPY . /x\n');
      assert.deepEqual(fs.readdirSync(ctx.dir), [], 'nothing written before a step needs it');
      const listed = (await walkDir(ctx.dir, ctx.view)).map((f) => `${f.rel}:${f.st.isDirectory() ? 'd' : 'f'}:${(f.st.mode & 0o7777).toString(8)}:${f.st.isDirectory() ? '' : f.st.size}`);
      const fromList = await checksums(ctx.dir, SOURCES, ctx.view, ctx.hashes);
      await ctx.materialize();
      const written = (await walkDir(ctx.dir)).map((f) => `${f.rel}:${f.st.isDirectory() ? 'd' : 'f'}:${(f.st.mode & 0o7777).toString(8)}:${f.st.isDirectory() ? '' : f.st.size}`);
      assert.deepEqual(listed, written, `${format}: same tree after .dockerignore`);
      assert.ok(!written.some((w) => w.startsWith('data/skip.log') || w.startsWith('sub/empty')));
      assert.ok(written.some((w) => w.startsWith('ignored/keep.me')));
      assert.deepEqual(fromList, await checksums(ctx.dir, SOURCES), `${format}: same checksums as reading the files`);
    } finally {
      await ctx.close();
    }
  }
});

test('--no-cache extracts while the tar streams; the entry list still serves the checksums', async () => {
  const dir = makeTree({ Dockerfile: 'FROM busybox\n', 'data/a.txt': 'a', 'data/x1.bin': 'x', 'top.txt': 't', 'sub/deep/f': 'f', 'sub/sgid': { mode: 0o2755 }, '.dockerignore': 'top.txt\n' });
  const ctx = await openContext(path.join(tmp, 'ctx'), { body: Readable.from([tarOf(dir)]), eager: true });
  try {
    assert.ok(ctx.view);
    assert.ok(fs.existsSync(path.join(ctx.dir, 'data/x1.bin')));
    assert.ok(!fs.existsSync(path.join(ctx.dir, 'top.txt')), '.dockerignore applied on disk');
    const srcs = [['.'], ['data'], ['sub']];
    assert.deepEqual(await checksums(ctx.dir, srcs, ctx.view, ctx.hashes), await checksums(ctx.dir, srcs));
  } finally {
    await ctx.close();
  }
});

test('a context with a symlink is extracted at once and still hashes as before', async () => {
  const dir = makeTree({ Dockerfile: 'FROM busybox\n', 'a/f': 'f', 'a/l': { link: 'f' }, 'b': 'b' });
  const ctx = await openContext(path.join(tmp, 'ctx'), { body: Readable.from([tarOf(dir)]) });
  try {
    assert.equal(ctx.view, undefined);
    assert.ok(fs.lstatSync(path.join(ctx.dir, 'a/l')).isSymbolicLink());
    assert.deepEqual(await checksums(ctx.dir, [['a'], ['b']], undefined, ctx.hashes), await checksums(ctx.dir, [['a'], ['b']]));
  } finally {
    await ctx.close();
  }
});

test('the Dockerfile given by name, and an ignored Dockerfile still read (dockerd reads it before .dockerignore)', async () => {
  const dir = makeTree({ 'build/Dockerfile.dev': 'FROM scratch\n', '.dockerignore': 'build\n', x: 'x' });
  const ctx = await openContext(path.join(tmp, 'ctx'), { body: Readable.from([tarOf(dir)]), dockerfile: 'build/Dockerfile.dev' });
  try {
    assert.equal(ctx.dockerfile, 'FROM scratch\n');
    await assert.rejects(resolveSources(ctx.dir, ['build'], true, ctx.view), /file not found in build context or excluded by .dockerignore/);
  } finally {
    await ctx.close();
  }
  await assert.rejects(openContext(path.join(tmp, 'ctx'), { body: Readable.from([tarOf(dir)]), dockerfile: 'nope' }), /Cannot locate specified Dockerfile: nope/);
});

test('a tar without end blocks (docker build -f -) and a corrupt tar', async () => {
  const dir = makeTree({ Dockerfile: 'FROM busybox\n', f: 'x'.repeat(1000) });
  const whole = tarOf(dir, 'ustar');
  const cut = whole.subarray(0, 512 * 3 + 1000); // Dockerfile entry + f's header + its bytes, no padding
  const ctx = await openContext(path.join(tmp, 'ctx'), { body: Readable.from([cut]) });
  try {
    assert.ok(ctx.view);
    await ctx.materialize();
    assert.equal(fs.readFileSync(path.join(ctx.dir, 'f'), 'utf8'), 'x'.repeat(1000));
  } finally {
    await ctx.close();
  }
  const bad = Buffer.from(whole);
  bad[512 * 2 + 10] ^= 0xff; // second header's name: its checksum no longer matches
  await assert.rejects(openContext(path.join(tmp, 'ctx'), { body: Readable.from([bad]) }), /failed to read the build context/);
});

test('a body cut short (the client went away) fails the context instead of leaving the build waiting', async () => {
  const dir = makeTree({ Dockerfile: 'FROM busybox\n', big: 'x'.repeat(100_000) });
  const whole = tarOf(dir);
  for (const how of ['error', 'destroy'] as const) {
    const body = new Readable({ read() { /* pushed below */ } });
    body.push(whole.subarray(0, 4096));
    setTimeout(() => (how === 'error' ? body.destroy(new Error('aborted')) : body.destroy()), 20);
    await assert.rejects(openContext(path.join(tmp, 'ctx'), { body }), how === 'error' ? /aborted/ : /ended early: the client went away/);
  }
  assert.deepEqual(fs.readdirSync(path.join(tmp, 'ctx')).filter((n) => n.startsWith('ctx-')), [], 'nothing left behind');
});
