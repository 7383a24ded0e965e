import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { logFiles, parseLogLine, parseLogTime, readLogs, tailStart, LogEntry, ReadLogsOptions } from '../../../src/runtime/logs';
import { rotate, shiftRotated, splitRecords } from '../../../src/runtime/logrotate';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string) => { const p = path.join(dir, `log${n++}`); fs.writeFileSync(p, content); return p; };
const collect = async (paths: string[], opts: ReadLogsOptions = {}) => {
  const out: LogEntry[] = [];
  for await (const e of readLogs(paths, opts)) out.push(e);
  return out;
};
const text = (es: LogEntry[]) => es.map((e) => `${e.stream[3]}:${e.data.toString()}`);

const T = (s: number) => `2026-11-29T03:40:${String(s).padStart(2, '0')}.123456789+00:00`;

describe('k8s-file parsing', () => {
  it('parses timestamps with offsets and nanoseconds', () => {
    const t = parseLogTime('2026-11-29T04:40:00.000000042+01:00')!;
    assert.equal(t.rfc3339, '2026-11-29T03:40:00.000000042Z');
    assert.equal(t.unixNano, BigInt(Date.parse('2026-11-29T03:40:00Z')) * 1_000_000n + 42n);
    assert.equal(parseLogTime('2026-11-29T03:40:00Z')!.rfc3339, '2026-11-29T03:40:00.000000000Z');
    assert.equal(parseLogTime('yesterday'), null);
  });
  it('parses lines, empty text and rejects garbage', () => {
    const r = parseLogLine(Buffer.from(`${T(1)} stderr F a b  c`))!;
    assert.equal(r.stream, 'stderr');
    assert.equal(r.partial, false);
    assert.equal(r.text.toString(), 'a b  c');
    assert.equal(parseLogLine(Buffer.from(`${T(1)} stdout P `))!.text.length, 0);
    assert.equal(parseLogLine(Buffer.from(`${T(1)} stdin F x`)), null);
    assert.equal(parseLogLine(Buffer.from('garbage')), null);
  });
});

describe('readLogs', () => {
  const log = file([
    `${T(1)} stdout F one`, `${T(2)} stderr F two`, `${T(3)} stdout P thr`, `${T(3)} stdout P e`,
    `${T(4)} stderr F err`, `${T(4)} stdout F e!`, `${T(5)} stdout F `, `${T(6)} stdout P tail-partial`, '',
  ].join('\n'));

  it('joins partial lines and restores newlines', async () => {
    assert.deepEqual(text(await collect([log])), ['o:one\n', 'e:two\n', 'e:err\n', 'o:three!\n', 'o:\n', 'o:tail-partial']);
  });
  it('keeps the time of the first fragment', async () => {
    const es = await collect([log]);
    assert.equal(es[3].time.rfc3339, '2026-11-29T03:40:03.123456789Z');
  });
  it('selects streams, tail, since and until', async () => {
    assert.deepEqual(text(await collect([log], { stderr: false })), ['o:one\n', 'o:three!\n', 'o:\n', 'o:tail-partial']);
    assert.deepEqual(text(await collect([log], { tail: 2 })), ['o:\n', 'o:tail-partial']);
    assert.deepEqual(text(await collect([log], { tail: 0 })), []);
    const base = Date.parse('2026-11-29T03:40:00Z') / 1000;
    assert.deepEqual(text(await collect([log], { since: base + 4, until: base + 5.5 })), ['e:err\n', 'o:\n']);
    // docker: tail first, then the stream filter
    assert.deepEqual(text(await collect([log], { tail: 3, stdout: false })), []);
    await assert.rejects(collect([log], { tail: -1 }));
  });
  it('reads rotated files oldest first and skips missing ones', async () => {
    const live = path.join(dir, 'rot.log');
    fs.writeFileSync(`${live}.2`, `${T(1)} stdout F a\n`);
    fs.writeFileSync(`${live}.1`, `${T(2)} stdout F b\n`);
    fs.writeFileSync(live, `${T(3)} stdout F c\n`);
    assert.deepEqual(logFiles(live, 5), [`${live}.2`, `${live}.1`, live]);
    assert.deepEqual(text(await collect(logFiles(live, 5))), ['o:a\n', 'o:b\n', 'o:c\n']);
    assert.deepEqual(text(await collect([path.join(dir, 'none'), live])), ['o:c\n']);
    await shiftRotated(live, 3, 1); // what a rotation does before filing the live file as .1
    fs.renameSync(live, `${live}.1`);
    assert.deepEqual(text(await collect(logFiles(live, 3))), ['o:b\n', 'o:c\n']);
  });
  it('follows appended lines and a rotation, ending when finished', async () => {
    const live = path.join(dir, 'follow.log');
    fs.writeFileSync(live, `${T(1)} stdout F first\n`);
    let finish!: () => void;
    const finished = new Promise<void>((r) => { finish = r; });
    const got: string[] = [];
    const reader = (async () => { for await (const e of readLogs([live], { follow: true, finished, pollMs: 20 })) got.push(e.data.toString()); })();
    await new Promise((r) => setTimeout(r, 30));
    fs.appendFileSync(live, `${T(2)} stdout P sec`);
    await new Promise((r) => setTimeout(r, 30));
    fs.appendFileSync(live, `ond-half\n`); // a record split across writes
    fs.appendFileSync(live, `${T(2)} stdout F ond\n`);
    await new Promise((r) => setTimeout(r, 30));
    fs.appendFileSync(live, `${T(3)} stdout F before-rotate\n`);
    fs.renameSync(live, `${live}.1`);
    fs.writeFileSync(live, `${T(4)} stdout F after-rotate\n`);
    await new Promise((r) => setTimeout(r, 60));
    finish();
    await reader;
    assert.deepEqual(got, ['first\n', 'second-halfond\n', 'before-rotate\n', 'after-rotate\n']);
  });
  it('stops following on abort', async () => {
    const live = file(`${T(1)} stdout F x\n`);
    const ac = new AbortController();
    const got: string[] = [];
    const reader = (async () => { for await (const e of readLogs([live], { follow: true, signal: ac.signal })) got.push(e.data.toString()); })();
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    await reader;
    assert.deepEqual(got, ['x\n']);
  });
});

describe('tail without reading everything', () => {
  // Random records (full and partial lines, both streams) over several files and 64 KiB chunks.
  const live = path.join(dir, 'big.log');
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const stream = rnd(4) === 0 ? 'stderr' : 'stdout';
    const tag = rnd(5) === 0 ? 'P' : 'F';
    lines.push(`${T(i % 60)} ${stream} ${tag} r${i}${'z'.repeat(rnd(60))}`);
  }
  fs.writeFileSync(`${live}.2`, lines.slice(0, 2000).join('\n') + '\n');
  fs.writeFileSync(`${live}.1`, lines.slice(2000, 4000).join('\n') + '\n');
  fs.writeFileSync(live, lines.slice(4000).join('\n') + '\n' + `${T(1)} stdout F unterminated`);
  const files = () => logFiles(live, 3);

  it('gives the same entries as reading everything', async () => {
    const all = text(await collect(files()));
    for (const n of [0, 1, 2, 3, 10, 500, 1999, 2500, 4100, 5999, 6000, 10000]) {
      const got = text(await collect(files(), { tail: n }));
      assert.deepEqual(got, n === 0 ? [] : all.slice(-n), `tail ${n}`);
    }
  });
  it('starts in the right file', () => {
    assert.deepEqual(tailStart(files(), 1_000_000), { index: 0, offset: 0 });
    assert.equal(tailStart(files(), 2).index, 2);
  });
  it('releases files when the consumer stops early', async () => {
    const before = fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 5; i++) {
      for await (const e of readLogs(files(), { follow: true })) { void e; break; }
      for await (const e of readLogs(files(), { tail: 5, follow: true })) { void e; break; }
    }
    assert.equal(fs.readdirSync('/proc/self/fd').length, before);
  });
});

describe('log rotation', () => {
  it('splits an oversized file at record boundaries', async () => {
    const p = file('aaaa\nbbbb\ncccccccccccc\ndd\n');
    const pieces = (await splitRecords(p, 10)).map((b) => b.toString());
    assert.deepEqual(pieces, ['aaaa\nbbbb\n', 'cccccccccccc\n', 'dd\n']);
    assert.equal((await splitRecords(file('small\n'), 10)).length, 1);
  });
  it('files an oversized live file as max-file pieces, newest as .1, without a conmon', async () => {
    const live = path.join(dir, 'burst.log');
    fs.writeFileSync(`${live}.1`, `${T(1)} stdout F old\n`);
    fs.writeFileSync(live, Array.from({ length: 30 }, (_, i) => `${T(2)} stdout F l${String(i).padStart(2, '0')}\n`).join(''));
    const recLen = `${T(2)} stdout F l00\n`.length;
    const alive = await rotate({ id: 'x', logPath: live, ctlPath: path.join(dir, 'no-ctl'), maxSize: recLen * 4, maxFiles: 3 });
    assert.equal(alive, false);
    assert.deepEqual(logFiles(live, 3).filter((p) => fs.existsSync(p)), [`${live}.2`, `${live}.1`]);
    assert.deepEqual(text(await collect(logFiles(live, 3))), ['o:l24\n', 'o:l25\n', 'o:l26\n', 'o:l27\n', 'o:l28\n', 'o:l29\n']);
    for (const p of [`${live}.1`, `${live}.2`]) assert.ok(fs.statSync(p).size <= recLen * 4);
  });
});
