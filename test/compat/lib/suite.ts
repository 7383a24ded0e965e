/**
 * One daemon per test file, one CLI (docker or berth) per suite; every scenario module
 * registers its tests against a Ctx that is filled in before the first test runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Cli, CliKind, CliResult, REPO_ROOT, Target, TestDaemon, importBusybox, makeCli, request, resourceName, target,
} from '../../integration/harness';

export interface Ctx {
  kind: CliKind;
  target: Target;
  daemon: TestDaemon;
  cli: Cli;
  /** Docker's max API version as this daemon reports it (1.50 for berthd, 1.41 for dockerd 20.10). */
  apiVersion: string;
}

export type Scenario = (ctx: Ctx, t: ScenarioTools) => void;

export interface ScenarioTools {
  /** Registers a test; `fn` gets a resource-name prefix derived from the title; cleanup before and after. */
  it(title: string, fn: (name: string) => Promise<void>, opts?: { skip?: string | boolean; timeout?: number }): void;
}

/** Fails with the CLI's own output when the command did not exit 0. */
export function ok(r: CliResult, what = 'command'): CliResult {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export function lines(s: string): string[] {
  return s.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
}

/** Splits a docker table row on runs of 2+ spaces, as docker's tabwriter pads columns. */
export function columns(row: string): string[] {
  return row.trim().split(/ {2,}/);
}

/** Removes every container and image tag whose name starts with `prefix`, over raw HTTP. */
export async function cleanup(socket: string, prefix: string): Promise<void> {
  const cs = await request(socket, 'GET', '/containers/json?all=1');
  for (const c of (cs.json ?? []) as Array<{ Id: string; Names?: string[] }>) {
    if ((c.Names ?? []).some((n) => n.replace(/^\//, '').startsWith(prefix))) {
      await request(socket, 'DELETE', `/containers/${c.Id}?force=1&v=1`);
    }
  }
  const is = await request(socket, 'GET', '/images/json');
  for (const i of (is.json ?? []) as Array<{ RepoTags?: string[] | null }>) {
    for (const tag of i.RepoTags ?? []) {
      if (tag.startsWith(prefix)) await request(socket, 'DELETE', `/images/${encodeURIComponent(tag)}?force=1`);
    }
  }
}

function berthAvailable(): boolean {
  return fs.existsSync(path.join(REPO_ROOT, 'bin', 'berth'));
}

/**
 * Runs `scenarios` with one CLI against one daemon. `fileName` names the netns and temp dirs.
 * With CLI=berth against TARGET=docker our CLI is checked against the reference daemon.
 */
export function runScenarios(fileName: string, kind: CliKind, scenarios: Array<[string, Scenario]>,
  daemonArgs: { berth?: string[]; docker?: string[] } = {}): void {
  const tgt = target();
  const ctx = { kind, target: tgt } as Ctx;
  const prefix = kind === 'docker' ? 'dk' : 'bc';
  describe(`${fileName} (${kind} CLI -> ${tgt === 'docker' ? 'dockerd' : 'berthd'})`, { timeout: 15 * 60_000 }, () => {
    before(async () => {
      if (kind === 'berth' && !berthAvailable()) throw new Error('bin/berth does not exist yet');
      ctx.daemon = await TestDaemon.start({ name: fileName, extraArgs: daemonArgs[tgt] });
      ctx.cli = makeCli(kind, ctx.daemon.socket);
      const v = await request(ctx.daemon.socket, 'GET', '/version');
      ctx.apiVersion = v.json?.ApiVersion ?? '';
      // The image comes from the reference CLI so a broken `berth import` fails one test, not all.
      await importBusybox(makeCli('docker', ctx.daemon.socket));
    });
    after(async () => {
      if (process.env.BERTH_TEST_DAEMON_LOG === '1' && ctx.daemon) process.stderr.write(ctx.daemon.log());
      await ctx.daemon?.stop();
    });
    const tools: ScenarioTools = {
      it(title, fn, opts = {}) {
        test(title, { skip: opts.skip, timeout: opts.timeout ?? 120_000 }, async () => {
          const name = resourceName(title, prefix);
          await cleanup(ctx.daemon.socket, name);
          try {
            await fn(name);
          } finally {
            await cleanup(ctx.daemon.socket, name);
          }
        });
      },
    };
    for (const [group, scenario] of scenarios) describe(group, () => scenario(ctx, tools));
  });
}

/** Parses `docker inspect` output (a JSON array) and returns its only element. */
export function inspectOne(r: CliResult): any {
  ok(r, 'inspect');
  const arr = JSON.parse(r.stdout);
  assert.ok(Array.isArray(arr) && arr.length === 1, `inspect printed ${r.stdout}`);
  return arr[0];
}

export const HEX64 = /^[0-9a-f]{64}$/;
export const HEX12 = /^[0-9a-f]{12}$/;
export const NONE = ['--network', 'none'];
