import { parseSshUrl, type SshTarget } from './ssh';

/** Where the daemon listens: `-H`, else BERTH_HOST, else DOCKER_HOST, else the default socket. */
export const DEFAULT_HOST = 'unix:///run/berth/berthd.sock';

export type DaemonAddress =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'tcp'; host: string; port: number; tls: boolean; url: string }
  | { kind: 'ssh'; target: SshTarget; url: string };

export function resolveHost(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

export function parseHost(url: string): DaemonAddress {
  const trimmed = url.trim();
  if (trimmed.startsWith('unix://')) {
    const path = trimmed.slice('unix://'.length);
    if (!path) throw new Error(`invalid host: ${url}: no socket path`);
    return { kind: 'unix', path, url: trimmed };
  }
  if (trimmed.startsWith('/')) return { kind: 'unix', path: trimmed, url: `unix://${trimmed}` };
  const m = /^(tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)?(?::(\d+))?\/?$/.exec(trimmed);
  if (m) {
    const tls = m[1] === 'https';
    const host = (m[2] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
    const port = m[3] ? parseInt(m[3], 10) : tls ? 2376 : 2375;
    return { kind: 'tcp', host, port, tls, url: trimmed };
  }
  if (trimmed.startsWith('ssh://')) return { kind: 'ssh', target: parseSshUrl(trimmed), url: trimmed };
  throw new Error(`invalid host: ${url}: unsupported scheme (use unix://, tcp:// or ssh://)`);
}
