/** The exec create body berth sends, compared with the real docker CLI's for the same flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { main, type Io } from '../../../src/cli/main';
import { FakeDaemon, json } from '../client/fakedaemon';

const DOCKER = '/usr/local/bin/docker';

const CASES: string[][] = [
  ['c1', 'true'],
  ['-i', '-e', 'A=1', '-w', '/tmp', '-u', '1', '--privileged', 'c1', 'sh', '-c', 'true'],
  ['-d', 'c1', 'sleep', '1'],
  ['-t', 'c1', 'true'],
  ['--detach-keys', 'ctrl-a,a', '-t', 'c1', 'sh'],
];

async function lastExecBody(d: FakeDaemon, from: number): Promise<unknown> {
  const rec = d.requests.slice(from).find((r) => /\/containers\/c1\/exec$/.test(r.url));
  assert.ok(rec, 'no exec create was sent');
  return JSON.parse(rec.body);
}

test('exec bodies match what docker 28 sends', { skip: !existsSync(DOCKER) && 'no docker CLI' }, async () => {
  const d = await new FakeDaemon().start();
  d.route((r, res) => { if (r.url.endsWith('/containers/c1/json')) json(res, 200, { Id: 'c1', State: { Running: true }, Config: {} }); });
  d.route((r, res) => { if (r.url.endsWith('/containers/c1/exec')) json(res, 500, { message: 'stop here' }); });
  try {
    for (const args of CASES) {
      let from = d.requests.length;
      await new Promise<void>((resolve) => {
        const child = execFile(DOCKER, ['exec', ...args], { env: { PATH: process.env.PATH, HOME: d.dir, DOCKER_HOST: d.host }, timeout: 10000 }, () => resolve());
        child.stdin?.end();
      });
      const expected = await lastExecBody(d, from);
      from = d.requests.length;
      const sink = new PassThrough();
      sink.resume();
      const stdin = Readable.from([]) as Io['stdin'];
      await main(['-H', d.host, 'exec', ...args], { stdin, stdout: sink, stderr: sink });
      assert.deepStrictEqual(await lastExecBody(d, from), expected, `exec ${args.join(' ')}`);
    }
  } finally {
    await d.stop();
  }
});
