import { promises as fs, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import { BERTH_VERSION, ENGINE_VERSION } from '../api/version';
import { type DaemonConfig, parseDaemonArgs } from '../config/daemon';
import { Engine } from '../engine/engine';
import { createApiServer } from '../server/http';
import { createLogger, type Logger } from '../util/log';

const USAGE = `Usage:	berthd [OPTIONS]

A self-sufficient runtime for containers, speaking the Docker Engine API.

Options:
      --config-file string          Daemon configuration file (default "/etc/berth/daemon.json")
      --data-root string            Root directory of persistent Berth state (default "/var/lib/berth")
      --exec-root string            Root directory for execution state files (default "/run/berth")
  -H, --host list                   Daemon socket(s) to connect to (default unix:///run/berth/berthd.sock)
  -p, --pidfile string              Path to use for daemon PID file (default "/run/berth/berthd.pid")
  -l, --log-level string            Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
  -D, --debug                       Enable debug mode
      --live-restore                Enable live restore of containers when the daemon stops (default true)
  -b, --bridge string               Attach containers to a network bridge ("none" disables it)
  -G, --group string                Group for the unix socket (default "berth" when it exists)
  -v, --version                     Print version information and quit
`;

async function writePidfile(file: string): Promise<void> {
  try {
    const old = Number(readFileSync(file, 'utf8').trim());
    if (old && old !== process.pid) {
      try {
        process.kill(old, 0);
        throw new Error(`pid file found, ensure berthd is not running or delete ${file}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${process.pid}`);
}

/** GID of the socket's group: -G, else "berth" when that group exists, else root. */
function socketGid(group: string | undefined): number {
  const name = group ?? 'berth';
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name || (f[2] === name && /^\d+$/.test(name))) return Number(f[2]);
    }
  } catch { /* no group file */ }
  if (group) throw new Error(`group ${group} not found`);
  return 0;
}

async function listen(server: Server, host: string, config: DaemonConfig, log: Logger): Promise<string> {
  const m = /^unix:\/\/(.+)$/.exec(host) ?? (host.startsWith('/') ? [host, host] : null);
  if (!m) {
    if (/^(tcp|fd|ssh):/.test(host)) throw new Error(`listener ${host} is not supported yet: berthd serves unix sockets only for now`);
    throw new Error(`invalid host: ${host}`);
  }
  const sock = m[1];
  await fs.mkdir(path.dirname(sock), { recursive: true });
  await fs.rm(sock, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => { server.off('error', reject); resolve(); });
  });
  await fs.chmod(sock, 0o660);
  await fs.chown(sock, 0, socketGid(config.group));
  log.info(`API listen on ${sock}`);
  return sock;
}

export async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseDaemonArgs(argv);
  } catch (e) {
    process.stderr.write(`berthd: ${(e as Error).message}\nSee 'berthd --help'.\n`);
    process.exit(125);
  }
  if (parsed.help) { process.stdout.write(USAGE); return; }
  if (parsed.version) { process.stdout.write(`Berth version ${BERTH_VERSION} (Docker Engine API ${ENGINE_VERSION})\n`); return; }
  const { config } = parsed;
  const log = createLogger(config.logLevel);
  if (process.getuid?.() !== 0) {
    process.stderr.write('berthd needs to be started with root privileges\n');
    process.exit(1);
  }
  log.info(`Starting up berthd ${BERTH_VERSION}`);
  await writePidfile(config.pidfile);
  const engine = await Engine.start(config, log);
  const servers: Server[] = [];
  const sockets: string[] = [];
  for (const host of config.hosts) {
    const server = createApiServer({ router: engine.router, log });
    sockets.push(await listen(server, host, config, log));
    servers.push(server);
  }
  log.info('Daemon has completed initialization');

  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Processing signal '${sig}'`);
    // Running containers stay up under conmon (live restore); only the API goes away.
    for (const s of servers) { s.close(); s.closeAllConnections(); }
    await engine.close();
    await Promise.all(sockets.map((s) => fs.rm(s, { force: true })));
    await fs.rm(config.pidfile, { force: true });
    log.info('Daemon shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGPIPE', () => undefined);
}

