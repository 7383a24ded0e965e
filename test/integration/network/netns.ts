/** Helpers for network tests: commands in the daemon's network namespace (the containers' "host"). */
import { execFile } from 'node:child_process';
import { eventually } from '../harness';

export function inNetns(netns: string, script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('nsenter', [`--net=/run/netns/${netns}`, 'sh', '-c', script], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr });
    });
  });
}

/** An HTTP/1.0 GET with busybox nc (busybox wget crashes on this host). */
export const httpGet = (host: string, port: number, path = '/hostname') =>
  `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${host} ${port}`;

/** GETs until the server answers 200 (a detached httpd may not listen yet when run returns). */
export function httpOk(netns: string, host: string, port: number, timeoutMs = 10_000): Promise<string> {
  return eventually(`HTTP 200 from ${host}:${port}`, async () => {
    const r = await inNetns(netns, httpGet(host, port));
    return /HTTP\/1\.[01] 200/.test(r.out) ? r.out : undefined;
  }, timeoutMs);
}
