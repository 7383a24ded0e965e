/**
 * Crash safety through the real docker CLI: kill -9 of the daemon with containers running
 * (they survive, the restarted daemon shows them, follows their logs, records exits that
 * happened while it was down), and kill -9 in the middle of an import (no half image).
 * dockerd needs --live-restore for the first; berthd has it on by default.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  Cli, TestDaemon, busyboxTar, eventually, importBusybox, makeCli, ping, request, sleep, target, waitForOutput,
} from '../integration/harness';
import { inspectOne, lines, ok } from './lib/suite';

const NONE = ['--network', 'none'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(`live restore (${target() === 'docker' ? 'dockerd --live-restore' : 'berthd'})`, { timeout: 10 * 60_000 }, () => {
  let d: TestDaemon;
  let docker: Cli;

  before(async () => {
    d = await TestDaemon.start({ name: 'live-restore', extraArgs: target() === 'docker' ? ['--live-restore'] : [] });
    docker = makeCli('docker', d.socket);
    await importBusybox(docker);
  });
  after(async () => {
    await d?.stop();
  });

  test('containers survive kill -9 of the daemon and are restored', async () => {
    const ticker = ok(await docker(['run', '-d', '--name', 'lr-ticker', ...NONE, 'busybox', 'sh', '-c',
      'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done'])).stdout.trim();
    const sleeper = ok(await docker(['run', '-d', '--name', 'lr-sleeper', ...NONE, 'busybox', 'sleep', '300'])).stdout.trim();
    const exiter = ok(await docker(['run', '-d', '--name', 'lr-exiter', ...NONE, 'busybox', 'sh', '-c',
      'trap "exit 7" USR1; while true; do sleep 0.1; done'])).stdout.trim();
    const pids: Record<string, number> = {};
    for (const n of ['lr-ticker', 'lr-sleeper', 'lr-exiter']) pids[n] = inspectOne(await docker(['inspect', n])).State.Pid;

    await d.kill9();
    assert.equal((await docker(['ps'])).code, 1, 'the daemon is down');
    for (const [n, pid] of Object.entries(pids)) assert.ok(alive(pid), `${n} (pid ${pid}) died with the daemon`);
    // An exit while the daemon is down: the trap makes PID 1 leave with code 7.
    process.kill(pids['lr-exiter']!, 'SIGUSR1');
    await eventually('exiter to exit', async () => !alive(pids['lr-exiter']!));
    await sleep(300);

    await d.restart();
    const ps = ok(await docker(['ps', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}}']));
    const running = lines(ps.stdout).sort();
    assert.deepEqual(running, [`${sleeper} lr-sleeper running`, `${ticker} lr-ticker running`].sort(), ps.stdout);
    const ex = inspectOne(await docker(['inspect', 'lr-exiter']));
    assert.equal(ex.Id, exiter);
    assert.equal(ex.State.Status, 'exited');
    assert.equal(ex.State.Running, false);
    assert.equal(ex.State.ExitCode, 7);
    const all = ok(await docker(['ps', '-a', '--filter', 'name=lr-exiter', '--format', '{{.Status}}']));
    assert.match(all.stdout, /^Exited \(7\) /);
    for (const n of ['lr-ticker', 'lr-sleeper']) {
      const s = inspectOne(await docker(['inspect', n])).State;
      assert.equal(s.Pid, pids[n], `${n} has a new pid after restore`);
      assert.equal(s.Running, true);
    }

    // Logs are followed again: new lines written after the restart arrive.
    const follower = docker.spawn(['logs', '-f', '--tail', '1', 'lr-ticker']);
    try {
      const out = await waitForOutput(follower, (o) => lines(o).length >= 3);
      const nums = lines(out).map((l) => Number(l.replace('tick', '')));
      assert.ok(nums[2]! > nums[0]!, out);
    } finally {
      follower.kill();
    }

    // The restored containers can still be driven: exec, stop, wait.
    assert.equal(ok(await docker(['exec', 'lr-sleeper', 'echo', 'still here'])).stdout, 'still here\n');
    ok(await docker(['stop', '-t', '1', 'lr-ticker']));
    assert.equal(ok(await docker(['wait', 'lr-ticker'])).stdout, '137\n');
    assert.ok(!alive(pids['lr-ticker']!));
    ok(await docker(['rm', '-f', 'lr-ticker', 'lr-sleeper', 'lr-exiter']));
    assert.ok(!alive(pids['lr-sleeper']!) || (await sleep(500), !alive(pids['lr-sleeper']!)));
  });

  test('kill -9 during an import leaves no half image', async () => {
    if (!(await ping(d.socket))) await d.restart(); // the test before may have left it down
    const imagesBefore = (await request(d.socket, 'GET', '/images/json')).json as any[];
    const tar = fs.readFileSync(busyboxTar());
    const importer = docker.spawn(['import', '-', 'lr-half:latest'], { stdin: 'pipe' });
    importer.stdin!.on('error', () => undefined);
    importer.stdin!.write(tar.subarray(0, Math.floor(tar.length / 2)));
    await sleep(800); // the daemon is now mid-import, waiting for the rest of the stream
    await d.kill9();
    importer.kill('SIGKILL');

    await d.restart();
    const imagesAfter = (await request(d.socket, 'GET', '/images/json')).json as any[];
    assert.deepEqual(imagesAfter.map((i) => i.Id).sort(), imagesBefore.map((i) => i.Id).sort());
    const half = await docker(['image', 'inspect', 'lr-half:latest']);
    assert.equal(half.code, 1, 'a half-imported image is visible');
    assert.equal(ok(await docker(['images', '-q', 'lr-half'])).stdout, '');

    // The store is intact: the old image still runs and the same import now succeeds.
    assert.equal(ok(await docker(['run', '--rm', ...NONE, 'busybox', 'echo', 'intact'])).stdout, 'intact\n');
    await importBusybox(docker, 'lr-half:latest');
    assert.equal(ok(await docker(['run', '--rm', ...NONE, 'lr-half', 'echo', 'whole'])).stdout, 'whole\n');
    ok(await docker(['rmi', 'lr-half:latest']));
  });

  test('kill -9 between a removal\'s answer and its clean-up: the restart removes what is left', { skip: target() === 'docker' ? 'berthd layout' : false }, async () => {
    if (!(await ping(d.socket))) await d.restart();
    const id = ok(await docker(['create', '--name', 'lr-gone', ...NONE, 'busybox', 'true'])).stdout.trim();
    const containerDir = `${d.dataRoot}/containers/${id}`;
    assert.ok(fs.existsSync(containerDir));
    await d.kill9();
    // What a daemon killed right after answering the removal leaves: the record is gone, the files are not.
    const keep = `${d.root}/lr-gone-copy`;
    fs.cpSync(containerDir, keep, { recursive: true });
    await d.restart();
    ok(await docker(['rm', 'lr-gone']));
    await d.kill9();
    fs.cpSync(keep, containerDir, { recursive: true });
    fs.mkdirSync(`${d.execRoot}/containers/${id}`, { recursive: true });
    await d.restart();
    assert.ok(!fs.existsSync(containerDir), 'the container dir of a removed container is left');
    assert.ok(!fs.existsSync(`${d.execRoot}/containers/${id}`), 'the bundle dir of a removed container is left');
    assert.equal(ok(await docker(['ps', '-aq', '--filter', 'name=lr-gone'])).stdout, '');
  });
});
