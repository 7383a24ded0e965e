import assert from 'node:assert/strict';
import { parseTemplate } from '../../../src/cli/formatters/template';

/** Execute `src` against `data`; returns the output. */
export function run(src: string, data?: unknown, funcs?: Record<string, Function>): string {
  return parseTemplate(src, { funcs }).execute(data, funcs);
}

/** Assert that parsing `src` fails with exactly `msg`. */
export function parseError(src: string, msg: string): void {
  assert.throws(() => parseTemplate(src), (e: Error) => {
    assert.equal(e.message, msg);
    return true;
  });
}

/** Assert that executing `src` fails with exactly `msg`. */
export function execError(src: string, data: unknown, msg: string): void {
  const t = parseTemplate(src);
  assert.throws(() => t.execute(data), (e: Error) => {
    assert.equal(e.message, msg);
    return true;
  });
}

export const container = {
  ID: '4c5b7b2e9d1f',
  Image: 'nginx:latest',
  Names: 'web',
  Labels: { 'com.docker.compose.project': 'shop', maintainer: 'ops' },
  Ports: [80, 443],
  Config: { Env: ['PATH=/usr/bin', 'LANG=C'], Cmd: null, Labels: { b: '2', a: '1' } },
  State: { Status: 'running', Running: true, Pid: 4242, ExitCode: 0, Health: null },
  Mounts: [],
  Size: 1234567890,
  CPU: 12.5,
};
