/**
 * Test harness: a real daemon per test file (berthd, or dockerd with TARGET=docker), in its
 * own netns and temp roots; CLI runners for docker and berth; raw HTTP; the busybox image.
 *
 *   const d = await TestDaemon.start({ name: 'lifecycle' });
 *   const docker = makeCli('docker', d.socket);
 *   await importBusybox(docker);
 *   const r = await docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hi']);
 *   await d.stop();
 */
export { TestDaemon, target, REPO_ROOT, processesMentioning } from './daemon';
export type { Target, DaemonOptions } from './daemon';
export { makeCli, docker, berth, runArgv, shellQuote, waitForOutput, DOCKER_BIN } from './cli';
export type { Cli, CliKind, CliOptions, CliResult } from './cli';
export { request, ping } from './http';
export type { HttpResponse, RequestOptions } from './http';
export { busyboxTar, importBusybox, BUSYBOX_BIN, BUSYBOX_CMD } from './busybox';

/** A resource name derived from a test's name: lowercase, docker-safe, short, with a prefix. */
export function resourceName(testName: string, prefix = 'bt'): string {
  const s = testName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `${prefix}-${s || 'x'}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
