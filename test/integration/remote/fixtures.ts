/**
 * Fixtures for the remote-access tests: certificates made with openssl (a CA, a server
 * certificate for IP:127.0.0.1, a client certificate, and a second CA with a client of its
 * own), an sshd on loopback with a temp host key and authorized key, CLIs run inside a
 * daemon's network namespace, and raw TLS / TCP probes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, runArgv, type CliResult, type CliOptions, DOCKER_BIN, sleep } from '../harness';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA (`<prefix>ca.pem`, `<prefix>ca-key.pem`). */
function makeCa(dir: string, prefix: string, cn: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${cn}`, '-keyout', `${prefix}ca-key.pem`, '-out', `${prefix}ca.pem`], dir);
}

function signed(dir: string, ca: string, name: string, cn: string, ext: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${cn}`,
    '-keyout', `${name}-key.pem`, '-out', `${name}.csr`], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}ca.pem`, '-CAkey', `${ca}ca-key.pem`, '-CAcreateserial',
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}-cert.pem`], dir);
}

export interface Certs {
  dir: string;
  ca: string; serverCert: string; serverKey: string;
  /** DOCKER_CERT_PATH layouts: ca.pem, cert.pem, key.pem. */
  clientDir: string;
  /** A client certificate from the other CA (with the right CA to trust the server). */
  otherClientDir: string;
  /** Only ca.pem: a client without a certificate. */
  noCertDir: string;
}

export function makeCerts(dir: string): Certs {
  fs.mkdirSync(dir, { recursive: true });
  makeCa(dir, '', 'berth-test-ca');
  makeCa(dir, 'other-', 'berth-test-other-ca');
  signed(dir, '', 'server', 'berthd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed(dir, '', 'client', 'client', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'other-', 'other-client', 'intruder', 'extendedKeyUsage=clientAuth\n');
  const layout = (name: string, cert?: string) => {
    const d = path.join(dir, name);
    fs.mkdirSync(d);
    fs.copyFileSync(path.join(dir, 'ca.pem'), path.join(d, 'ca.pem'));
    if (cert) {
      fs.copyFileSync(path.join(dir, `${cert}-cert.pem`), path.join(d, 'cert.pem'));
      fs.copyFileSync(path.join(dir, `${cert}-key.pem`), path.join(d, 'key.pem'));
    }
    return d;
  };
  return {
    dir, ca: path.join(dir, 'ca.pem'), serverCert: path.join(dir, 'server-cert.pem'), serverKey: path.join(dir, 'server-key.pem'),
    clientDir: layout('client', 'client'), otherClientDir: layout('other', 'other-client'), noCertDir: layout('nocert'),
  };
}

/** Runs a command inside the network namespace `netns` (where the daemon's loopback lives). */
export function inNetns(netns: string, argv: string[], env: Record<string, string | undefined>, opts: CliOptions = {}): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DOCKER_HOST', 'BERTH_HOST', 'DOCKER_CONTEXT', 'BERTH_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete base[k];
  const full: NodeJS.ProcessEnv = { ...base, DOCKER_CLI_HINTS: 'false', ...env };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  return runArgv(['nsenter', `--net=/run/netns/${netns}`, ...argv], full, opts);
}

export const BERTH_ARGV = [process.execPath, path.join(REPO_ROOT, 'bin', 'berth')];
export const DOCKER_ARGV = [DOCKER_BIN];

/** A private, empty docker/berth config dir. */
export function configDir(root: string, name: string): string {
  const d = path.join(root, name);
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'config.json'), '{}');
  return d;
}

/** Result of speaking to a listener directly. `response`: the first bytes the server sent back. */
export interface Probe { response: string; error: string }

/**
 * Runs the probe script (probe.ts) inside the netns: `plain` sends an HTTP request in the
 * clear, `tls` does a TLS handshake with the given PEM files and then the request.
 */
export async function probe(netns: string, mode: 'plain' | 'tls', port: number, request: string, pem: { ca?: string; cert?: string; key?: string } = {}): Promise<Probe> {
  const r = await inNetns(netns, [process.execPath, path.join(__dirname, 'probe.js'), mode, String(port), JSON.stringify(pem)], {},
    { input: request, timeoutMs: 15_000 });
  return JSON.parse(r.stdout || '{"response":"","error":"no output"}') as Probe;
}

export interface Sshd {
  port: number; proc: ChildProcess; dir: string;
  /** For berth: BERTH_SSH_OPTS with the temp key and known_hosts. */
  env: Record<string, string>;
  /** For the docker CLI: a PATH whose `ssh` adds the same options. */
  dockerEnv: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * sshd on 127.0.0.1:`port` inside `netns`, root login by a temp key only. Its sessions get
 * a PATH whose first entry holds a `berth` that runs this checkout, and BERTH_HOST =
 * and DOCKER_HOST = `daemonHost`, so `ssh ... berth system dial-stdio` (and the docker CLI's
 * `docker system dial-stdio`) reach the test daemon.
 */
export async function startSshd(netns: string, dir: string, port: number, daemonHost: string): Promise<Sshd> {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'client_key')]);
  fs.copyFileSync(path.join(dir, 'client_key.pub'), path.join(dir, 'authorized_keys'));
  fs.writeFileSync(path.join(dir, 'bin', 'berth'), `#!/bin/sh\nexec ${process.execPath} ${path.join(REPO_ROOT, 'bin', 'berth')} "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8')}`);
  const config = [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host_key`, `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no',
    `SetEnv PATH=${dir}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin BERTH_HOST=${daemonHost} DOCKER_HOST=${daemonHost}`, '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'sshd_config'), config);
  const log = fs.openSync(path.join(dir, 'sshd.log'), 'a');
  const proc = spawn('nsenter', [`--net=/run/netns/${netns}`, '/usr/sbin/sshd', '-D', '-e', '-f', path.join(dir, 'sshd_config')],
    { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  for (let i = 0; i < 50; i++) {
    if (fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8').includes('Server listening')) break;
    if (proc.exitCode !== null) throw new Error(`sshd exited: ${fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8')}`);
    await sleep(100);
  }
  const env = {
    BERTH_SSH_OPTS: `-F /dev/null -i ${dir}/client_key -o IdentitiesOnly=yes -o UserKnownHostsFile=${dir}/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes`,
  };
  // The docker CLI takes no ssh options: an `ssh` first on its PATH adds them.
  fs.mkdirSync(path.join(dir, 'clientbin'));
  fs.writeFileSync(path.join(dir, 'clientbin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh ${env.BERTH_SSH_OPTS} "$@"\n`, { mode: 0o755 });
  const dockerEnv = { PATH: `${dir}/clientbin:${process.env.PATH ?? '/usr/bin:/bin'}` };
  return {
    port, proc, dir, env, dockerEnv,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; }
    },
  };
}

/** `sshd_available`: the Debian openssh-server binary is installed (scripts/setup.sh adds it). */
export const SSHD_AVAILABLE = fs.existsSync('/usr/sbin/sshd');
