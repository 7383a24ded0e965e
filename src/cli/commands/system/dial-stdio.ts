/**
 * `berth system dial-stdio`: copies stdin to the daemon's socket and the socket to stdout,
 * with half-closes passed through. It is the far end of `ssh://` hosts: the client runs
 * `ssh host berth system dial-stdio` and speaks HTTP over ssh's stdio.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { parseHost, resolveHost } from '../../../client';
import { StatusError, type CliContext, type CommandDef } from '../../command';

function dial(ctx: CliContext): Duplex {
  const addr = parseHost(resolveHost(ctx.globals.host));
  if (addr.kind === 'unix') return net.connect({ path: addr.path, allowHalfOpen: true });
  if (addr.kind === 'ssh') throw new StatusError(1, 'dial-stdio: the daemon to dial must be a unix:// or tcp:// host, not ssh://');
  const t = ctx.globals.tls;
  if (!t && !addr.tls) return net.connect({ host: addr.host, port: addr.port, allowHalfOpen: true });
  const read = (p: string | undefined) => { try { return p ? readFileSync(p) : undefined; } catch { return undefined; } };
  return tls.connect({
    host: addr.host, port: addr.port, servername: net.isIP(addr.host) ? undefined : addr.host,
    ca: read(t?.cacert), cert: read(t?.cert), key: read(t?.key), rejectUnauthorized: t ? t.verify : true,
  });
}

export const dialStdio: CommandDef = {
  path: 'system dial-stdio',
  use: 'dial-stdio',
  short: 'Proxy the stdio stream to the daemon connection. Should not be invoked manually.',
  flags: [],
  args: { min: 0, max: 0 },
  run(ctx) {
    const conn = dial(ctx);
    return new Promise<void>((resolve, reject) => {
      let readDone = false;
      let writeDone = false;
      const finish = () => { if (readDone && writeDone) { conn.destroy(); resolve(); } };
      conn.on('error', (e: NodeJS.ErrnoException) => {
        if (readDone && writeDone) return;
        reject(new StatusError(1, `dial-stdio: ${e.message}`));
      });
      // daemon -> stdout; the daemon's close ends our output and, with it, the session.
      conn.on('data', (c: Buffer) => { if (!ctx.stdout.write(c)) { conn.pause(); ctx.stdout.once('drain', () => conn.resume()); } });
      conn.on('end', () => { ctx.stdout.end(); writeDone = true; readDone = true; finish(); });
      // stdin -> daemon; stdin's end half-closes the connection (the client sent all it will).
      ctx.stdin.on('data', (c: Buffer) => { if (!conn.write(c)) { ctx.stdin.pause(); conn.once('drain', () => ctx.stdin.resume()); } });
      ctx.stdin.on('end', () => { conn.end(); readDone = true; finish(); });
      ctx.stdin.on('error', () => { conn.end(); readDone = true; finish(); });
    });
  },
};
