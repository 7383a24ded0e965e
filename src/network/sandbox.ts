import { ipBatch, shq } from './kernel';
import type { NetworkRecord } from './types';

/** One interface to plug into a container's network namespace. */
export interface Plug {
  net: NetworkRecord;
  veth: string;
  ifname: string;
  ip: string;
  mac: string;
  /** The primary interface carries the default route. */
  primary: boolean;
}

export interface Command { cmd: string; args: string[]; input: string }

/**
 * The two commands that plug veth pairs into a container's network namespace, bound at
 * `nsPath` (with `create`, a new namespace bound there first; the caller creates the empty
 * file). `unshare --net=<file> ip -batch -` (or `nsenter --net=<file>` for a running
 * container) creates, inside the namespace, each veth pair with its host end sent to the
 * daemon's namespace, plus addresses and routes; then `ip -batch -` in the daemon's
 * namespace enslaves the host ends to their bridges. Two spawns, no shell: measured cheaper
 * than one `sh` running both.
 */
export function plugCommands(nsPath: string, plugs: Plug[], create: boolean, daemonNetns = `/proc/${process.pid}/ns/net`): [Command, Command] {
  const host: string[] = [];
  const inner: string[] = create ? ['link set lo up'] : [];
  for (const p of plugs) {
    const bits = p.net.subnet.split('/')[1];
    inner.push(`link add name ${p.ifname} mtu ${p.net.mtu} address ${p.mac} type veth peer name ${p.veth} mtu ${p.net.mtu} netns ${daemonNetns}`);
    inner.push(`addr add ${p.ip}/${bits} dev ${p.ifname}`, `link set ${p.ifname} up`);
    if (p.primary && !p.net.internal) inner.push(`route add default via ${p.net.gateway} dev ${p.ifname}`);
    host.push(`link set ${p.veth} master ${p.net.bridge} up`, `link set dev ${p.veth} type bridge_slave hairpin on`);
  }
  return [
    { cmd: create ? 'unshare' : 'nsenter', args: [`--net=${nsPath}`, 'ip', '-batch', '-'], input: inner.join('\n') + '\n' },
    { cmd: 'ip', args: ['-batch', '-'], input: host.join('\n') + '\n' },
  ];
}

/** Unbinds the namespace; the kernel then destroys it and the veth pairs in it. */
export function unplugNamespaceScript(nsPath: string): string {
  return `umount ${shq(nsPath)} 2>/dev/null || umount -l ${shq(nsPath)} 2>/dev/null || true\nrm -f ${shq(nsPath)}\n`;
}

/** Takes single interfaces out of a running container (disconnect). */
export function unplugScript(veths: string[]): string {
  return ipBatch(veths.map((v) => `link del ${v}`));
}

export function vethName(): string {
  return `veth${Math.floor(Math.random() * 0xfffffff).toString(16).padStart(7, '0')}`;
}
