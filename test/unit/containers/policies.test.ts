import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { shouldRestart } from '../../../src/containers/policies';
import { probeCommand } from '../../../src/containers/health';
import { parsePsOutput, validatePsArgs } from '../../../src/containers/top';

const base = { policy: 'always', maxRetries: 0, restartCount: 0, exitCode: 0, manual: false, ranMs: 50, prevDelayMs: 0 };

describe('restart policy decisions (dockerd restartmanager)', () => {
  it('doubles the delay from 100 ms, capped at a minute, reset after 10 s of running', () => {
    let d = 0;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) { d = shouldRestart({ ...base, prevDelayMs: d }).delayMs; seen.push(d); }
    assert.deepEqual(seen.slice(0, 5), [100, 200, 400, 800, 1600]);
    assert.equal(seen[11], 60_000);
    assert.equal(shouldRestart({ ...base, prevDelayMs: 6400, ranMs: 10_000 }).delayMs, 100);
  });
  it('applies each policy', () => {
    assert.equal(shouldRestart({ ...base, policy: 'no' }).restart, false);
    assert.equal(shouldRestart({ ...base, manual: true }).restart, false);
    assert.equal(shouldRestart({ ...base, manual: true, daemonStart: true }).restart, true);
    assert.equal(shouldRestart({ ...base, policy: 'unless-stopped', manual: true, daemonStart: true }).restart, false);
    assert.equal(shouldRestart({ ...base, policy: 'on-failure', exitCode: 0 }).restart, false);
    assert.equal(shouldRestart({ ...base, policy: 'on-failure', exitCode: 1, maxRetries: 2, restartCount: 1 }).restart, true);
    assert.equal(shouldRestart({ ...base, policy: 'on-failure', exitCode: 1, maxRetries: 2, restartCount: 2 }).restart, false);
    assert.equal(shouldRestart({ ...base, policy: 'on-failure', exitCode: 1, maxRetries: 0, restartCount: 99 }).restart, true);
  });
});

describe('healthcheck probe command', () => {
  it('CMD, CMD-SHELL, NONE and inherit', () => {
    assert.deepEqual(probeCommand({ Test: ['CMD', 'true', 'x'] }), ['true', 'x']);
    assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'exit 1'] }), ['/bin/sh', '-c', 'exit 1']);
    assert.equal(probeCommand({ Test: ['NONE'] }), null);
    assert.equal(probeCommand({ Test: [] }), null);
    assert.equal(probeCommand(undefined), null);
  });
});

describe('top', () => {
  it('keeps the container\'s pids and the CMD column whole', () => {
    const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 300\nroot 11 1 0 10:00 ? 00:00:00 other thing\n';
    assert.deepEqual(parsePsOutput(out, [10]), {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [['root', '10', '1', '0', '10:00', '?', '00:00:00', 'sleep 300']],
    });
    assert.throws(() => parsePsOutput('USER COMMAND\n', [1]), /Couldn't find PID field in ps output/);
    assert.throws(() => validatePsArgs('-o user=PID'), /specifying "user=PID" is not allowed/);
    validatePsArgs('-o pid=PID');
  });
});
