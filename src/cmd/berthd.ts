import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BERTH_VERSION, ENGINE_VERSION } from '../api/version';
import { parseDaemonArgs } from '../config/daemon';
import { setupRemappedRoot } from '../config/userns-remap';
import { Engine } from '../engine/engine';
import { buildRouter } from '../server/api';
import { createApiServer } from '../server/http';
import { openListeners, preflightListeners, socketGid, type ApiListener } from '../server/listeners';
import { createLogger } from '../util/log';
import { startSpawner } from '../util/spawn';

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
  -b, --bridge string               Attach containers to a network bridge (default "berth0"; "none" disables it)
      --bip string                  Specify default-bridge IP (e.g. 10.200.0.1/24)
      --default-address-pool pool   Default address pools for node specific local networks (base=CIDR,size=N)
      --icc                         Enable inter-container communication on the default bridge (default true)
      --iptables                    Enable addition of iptables rules (default true)
      --ip-forward                  Enable net.ipv4.ip_forward (default true)
      --ip-masq                     Enable IP masquerading on the default bridge (default true)
      --mtu int                     Set the MTU of the default bridge's containers (default 1500)
  -G, --group string                Group for the unix socket (default "berth" when it exists)
      --tls                         Use TLS; implied by --tlsverify
      --tlscacert string            Trust certs signed only by this CA (default "/etc/berth/ca.pem")
      --tlscert string              Path to TLS certificate file (default "/etc/berth/cert.pem")
      --tlskey string               Path to TLS key file (default "/etc/berth/key.pem")
      --tlsverify                   Use TLS and verify the remote
      --userns-remap string         User/Group setting for user namespaces (default|USER[:GROUP]|UID[:GID]; "default" is berthremap)
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
  try {
    await preflightListeners(config.hosts, config);
  } catch (e) {
    process.stderr.write(`failed to start daemon: ${(e as Error).message}\n`);
    process.exit(1);
  }
  let remap;
  try {
    remap = setupRemappedRoot(config.usernsRemap, (m) => log.warn(m));
  } catch (e) {
    process.stderr.write(`failed to start daemon: ${(e as Error).message}\n`);
    process.exit(1);
  }
  if (remap) {
    log.info(`User namespaces: ID ranges will be mapped to subuid/subgid ranges of: ${remap.resolved.split(':')[0]}`);
    config.usernsRemap = remap.resolved;
  }
  log.info(`Starting up berthd ${BERTH_VERSION}`);
  // Child processes start from the small spawner process from here on, not by forking the daemon.
  startSpawner(config.dataRoot);
  await writePidfile(config.pidfile);
  const engine = await Engine.start(config, log, remap?.mapping ?? null);
  const router = buildRouter(engine);
  // The exec root holds runtime state and, by default, the socket: root and the socket's group only.
  await fs.chown(config.execRoot, 0, socketGid(config.group));
  await fs.chmod(config.execRoot, 0o710);
  let listeners: ApiListener[];
  try {
    listeners = await openListeners(config.hosts, config, () => createApiServer({ router, log }), log);
  } catch (e) {
    log.error(`failed to start daemon: ${(e as Error).message}`);
    process.stderr.write(`failed to start daemon: ${(e as Error).message}\n`);
    await engine.close();
    await fs.rm(config.pidfile, { force: true });
    process.exit(1);
  }
  log.info('Daemon has completed initialization');

  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Processing signal '${sig}'`);
    // Running containers stay up under conmon (live restore); only the API goes away.
    await Promise.all(listeners.map((l) => l.close()));
    await engine.close();
    await fs.rm(config.pidfile, { force: true });
    log.info('Daemon shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGPIPE', () => undefined);
}

