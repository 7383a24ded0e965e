/**
 * `berth registry serve|gc`: not Engine API clients. The registry is a local server of its
 * own (src/registry/main.ts), run in this process with no daemon; it is loaded only here.
 */
import type { CommandDef } from '../../command';

type RegistryMain = typeof import('../../../registry/main');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const load = (): RegistryMain => require('../../../registry/main') as RegistryMain;
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

export const registryServe: CommandDef = {
  path: 'registry serve',
  use: 'serve [OPTIONS]',
  short: 'Run an OCI distribution (Docker registry v2) server',
  flags: [
    { name: 'addr', kind: 'string', usage: 'Address to listen on (HOST:PORT)', default: '127.0.0.1:5000' },
    { name: 'root', kind: 'string', usage: 'Storage directory', default: '/var/lib/berth-registry' },
    { name: 'tls-cert', kind: 'string', usage: 'TLS certificate (PEM)' },
    { name: 'tls-key', kind: 'string', usage: 'TLS private key (PEM)' },
    { name: 'htpasswd', kind: 'string', usage: 'htpasswd file (bcrypt) for basic auth' },
    { name: 'read-only', kind: 'bool', usage: 'Refuse pushes and deletes' },
    { name: 'token-auth', kind: 'bool', usage: 'Bearer token auth with the built-in /token endpoint (users from --htpasswd)' },
    { name: 'config', kind: 'string', usage: 'JSON config file (same keys: addr, root, tlsCert, tlsKey, htpasswd, readOnly)' },
  ],
  args: { max: 0 },
  async run(ctx, v, _a, changed) {
    const given = (k: string) => (changed.has(k) ? str(v[k]) : undefined);
    return load().serve({
      addr: given('addr') ?? (v.config ? undefined : str(v.addr)), root: given('root') ?? (v.config ? undefined : str(v.root)),
      tlsCert: str(v['tls-cert']), tlsKey: str(v['tls-key']), htpasswd: str(v.htpasswd),
      readOnly: changed.has('read-only') ? !!v['read-only'] : undefined, config: str(v.config),
      tokenAuth: changed.has('token-auth') ? !!v['token-auth'] : undefined,
    }, (s) => ctx.stdout.write(s), (s) => ctx.stderr.write(s));
  },
};

export const registryGc: CommandDef = {
  path: 'registry gc',
  use: 'gc [OPTIONS]',
  short: 'Delete blobs that no manifest references (run with the registry stopped or read-only)',
  flags: [
    { name: 'root', kind: 'string', usage: 'Storage directory', default: '/var/lib/berth-registry' },
    { name: 'dry-run', short: 'd', kind: 'bool', usage: 'Only list what would be deleted' },
  ],
  args: { max: 0 },
  async run(ctx, v) {
    return load().gc(str(v.root) ?? '/var/lib/berth-registry', !!v['dry-run'], (s) => ctx.stdout.write(s));
  },
};

export const registryCommands: CommandDef[] = [registryServe, registryGc];
