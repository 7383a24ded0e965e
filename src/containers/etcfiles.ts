import { readFileSync, writeFileSync } from 'node:fs';

/** /etc/hostname, /etc/hosts and /etc/resolv.conf for a container, written into its own dir. */

export function hostsFile(hostname: string, domainname: string, ip: string | undefined, extraHosts: string[], entries: string[] = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::\tip6-localnet',
    'ff00::\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    // docker's --add-host "name:ip" (ip may itself hold colons for IPv6); newer form "name=ip".
    const sep = h.includes('=') ? h.indexOf('=') : h.indexOf(':');
    if (sep < 0) continue;
    lines.push(`${h.slice(sep + 1)}\t${h.slice(0, sep)}`);
  }
  lines.push(...entries);
  if (ip) {
    const fqdn = domainname ? `${hostname}.${domainname} ${hostname}` : hostname;
    lines.push(`${ip}\t${fqdn}`);
  }
  return lines.join('\n') + '\n';
}

const LOOPBACK_NS = /^\s*nameserver\s+(127\.\d+\.\d+\.\d+|::1)\s*$/;

/**
 * Docker's rules: start from the host's resolv.conf; drop loopback nameservers (they mean
 * nothing inside another network namespace); fall back to public resolvers only when nothing
 * is left and the container has a network (we leave none: no traffic to outside resolvers in
 * tests; the user can pass --dns). --dns, --dns-search and --dns-option replace the host's.
 */
export function resolvConf(opts: { dns?: string[] | null; search?: string[] | null; options?: string[] | null; hostNetwork: boolean }, hostPath = '/etc/resolv.conf'): string {
  let host = '';
  try { host = readFileSync(hostPath, 'utf8'); } catch { /* no host file */ }
  if (opts.hostNetwork && !opts.dns?.length && !opts.search?.length && !opts.options?.length) return host;
  const lines = host.split('\n');
  const servers = opts.dns?.length ? opts.dns : lines.map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => !!s && !LOOPBACK_NS.test(`nameserver ${s}`));
  const search = opts.search?.length ? opts.search : lines.flatMap((l) => /^\s*search\s+(.*)$/.exec(l)?.[1].trim().split(/\s+/) ?? []);
  const options = opts.options?.length ? opts.options : lines.flatMap((l) => /^\s*options\s+(.*)$/.exec(l)?.[1].trim().split(/\s+/) ?? []);
  let out = '';
  for (const s of servers) out += `nameserver ${s}\n`;
  if (search.length && !(search.length === 1 && search[0] === '.')) out += `search ${search.join(' ')}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

/** Plain writes: these files are regenerated at every start, so they need no fsync. */
export async function writeEtcFiles(files: { hostnamePath: string; hostsPath: string; resolvConfPath: string }, hostname: string, hosts: string, resolv: string): Promise<void> {
  // Three tiny files on every start: synchronous writes cost less than thread-pool round trips.
  writeFileSync(files.hostnamePath, `${hostname}\n`);
  writeFileSync(files.hostsPath, hosts);
  writeFileSync(files.resolvConfPath, resolv);
}
