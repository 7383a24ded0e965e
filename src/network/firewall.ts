import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '../util/log';
import { ipBatch, iptablesRestore, runScript, Serial } from './kernel';
import { type LivePorts, parseSaved, renderAll, renderPortsAdd, renderPortsRemove, renderUninstall } from './rules';
import type { NetworkRecord } from './types';

/** Interfaces of the daemon's network namespace (/proc/net follows the reader's netns; /sys may not). */
export function linkNames(): Set<string> {
  try {
    return new Set(readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean));
  } catch { return new Set(); }
}

/** `key` is the path under /proc/sys (e.g. net/ipv4/ip_forward); per-netns for net/. */
export function writeSysctl(key: string, value: string): boolean {
  try { writeFileSync(`/proc/sys/${key}`, value); return true; } catch { return false; }
}

/**
 * Bridges and iptables for the networks. Network-level changes rebuild Berth's chains
 * whole in one iptables-restore; published ports of a container are added and removed in
 * chains of its own. All iptables changes go through one queue, in order.
 */
export class Firewall {
  private serial = new Serial();
  private installed = false;

  constructor(private readonly enabled: boolean, private readonly log: Logger) {}

  /** Start-up: reads what a previous daemon life left, then rebuilds everything from state. */
  async init(nets: NetworkRecord[], live: LivePorts[]): Promise<void> {
    if (!this.enabled) return;
    await this.serial.run(async () => {
      const saved = await runScript('iptables-save -t nat; iptables-save -t filter').catch(() => '');
      const { chains, jumps } = parseSaved(saved);
      this.installed = jumps;
      await this.applyAll(nets, live, chains);
    });
  }

  /** Rebuilds every chain from state (a network came or went). */
  sync(nets: NetworkRecord[], live: LivePorts[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return this.serial.run(() => this.applyAll(nets, live));
  }

  private async applyAll(nets: NetworkRecord[], live: LivePorts[], existing?: { nat: string[]; filter: string[] }): Promise<void> {
    const bridges = nets.filter((n) => n.driver === 'bridge');
    if (!bridges.length) {
      if (!this.installed && !existing?.nat.length && !existing?.filter.length) return;
      const chains = existing ?? { nat: ['BERTH', 'BERTH-POSTROUTING'], filter: ['BERTH', 'BERTH-FORWARD', 'BERTH-ISOLATION-STAGE-1', 'BERTH-ISOLATION-STAGE-2'] };
      const text = this.installed ? renderUninstall(chains) : renderUninstall(chains).split('\n').filter((l) => !l.startsWith('-D ')).join('\n');
      await iptablesRestore(text);
      this.installed = false;
      return;
    }
    await iptablesRestore(renderAll(bridges, live, { installJumps: !this.installed, existing }));
    this.installed = true;
  }

  addPorts(p: LivePorts): Promise<void> {
    if (!this.enabled || !p.ports.length) return Promise.resolve();
    return this.serial.run(() => iptablesRestore(renderPortsAdd(p)).then(() => undefined));
  }

  removePorts(containerId: string): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return this.serial.run(() => iptablesRestore(renderPortsRemove(containerId)).then(() => undefined))
      .catch((e) => this.log.warn(`removing port rules of ${containerId}: ${String(e)}`));
  }
}

/** Creates the bridge of a network (if missing) with its gateway address, and its sysctls. */
export async function ensureBridge(n: NetworkRecord): Promise<void> {
  if (!linkNames().has(n.bridge)) {
    const bits = n.subnet.split('/')[1];
    await runScript(ipBatch([
      `link add name ${n.bridge} mtu ${n.mtu} type bridge`,
      `addr add ${n.gateway}/${bits} dev ${n.bridge}`,
      `link set ${n.bridge} up`,
    ]));
  }
  // Published ports answer on 127.0.0.1 through DNAT: the kernel must route loopback-sourced packets out.
  writeSysctl(`net/ipv4/conf/${n.bridge}/route_localnet`, '1');
}

export async function deleteBridge(name: string): Promise<void> {
  if (linkNames().has(name)) await runScript(ipBatch([`link del ${name}`]));
}
