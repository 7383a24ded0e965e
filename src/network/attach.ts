import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ContainerConfig, EndpointSettings, HostConfig, NetworkingConfig } from '../api/types';
import { BerthError, forbidden, invalidParameter } from '../errdefs';
import type { Logger } from '../util/log';
import { contains, formatIp, macFor, mustCidr, parseIp, size } from './ipv4';
import { runCommand, runScript, Serial } from './kernel';
import { allocatePorts, portRequests } from './ports';
import type { Firewall } from './firewall';
import { type Plug, plugCommands, unplugNamespaceScript, unplugScript, vethName } from './sandbox';
import type { NetworkStore } from './store';
import type { EndpointRecord, NetworkRecord, PortMapping } from './types';

/** What networking needs to know of a container (structurally a ContainerRecord). */
export interface NetContainer {
  id: string;
  name: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig?: NetworkingConfig;
  state: { Running: boolean; Pid: number };
}

/** What a container start gets from networking (structurally the containers' StartExtras). */
export interface NetStartExtras { netnsPath?: string; ip?: string; nameservers?: string[]; hostsEntries?: string[]; ready?: Promise<void> }

export function effectiveMode(c: NetContainer): string {
  const m = c.hostConfig.NetworkMode || 'default';
  return m === 'default' ? 'bridge' : m;
}

export function sharesNamespace(mode: string): boolean {
  return mode === 'host' || mode === 'none' || mode.startsWith('container:');
}

/**
 * Endpoints: a container's attachments to networks (kept while the container exists) and
 * their live half (address, veth, published ports) while it runs. The namespace of a
 * running bridge container is bound at <exec-root>/netns/<id>.
 */
export class Attachments {
  private serial = new Serial();
  private cursor = new Map<string, number>();
  private pending = new Map<string, Promise<void>>();

  constructor(
    private readonly store: NetworkStore,
    private readonly firewall: Firewall,
    private readonly netnsDir: string,
    private readonly log: Logger,
  ) {}

  nsPath(id: string): string { return path.join(this.netnsDir, id); }

  /** Checks an endpoint config against the network (Docker's rules and messages). */
  validate(net: NetworkRecord, es: EndpointSettings | undefined): EndpointRecord['config'] {
    const aliases = es?.Aliases ?? [];
    const ip = es?.IPAMConfig?.IPv4Address || '';
    if (net.isDefault && aliases.length) throw invalidParameter('network-scoped alias is supported only for containers in user defined networks');
    if (net.isDefault && ip) throw invalidParameter('user specified IP address is supported on user defined networks only');
    if (ip) {
      const n = parseIp(ip);
      if (n === undefined) throw invalidParameter(`invalid IPv4 address: ${ip}`);
      if (!contains(mustCidr(net.subnet), n)) throw invalidParameter(`Invalid address ${ip}: It does not belong to any of this network's subnets`);
    }
    const mac = es?.MacAddress || '';
    if (mac && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) throw invalidParameter(`invalid MAC address: ${mac}`);
    return { aliases: [...aliases], ipv4: ip || undefined, mac: mac || undefined, driverOpts: es?.DriverOpts ?? undefined, links: es?.Links ?? undefined };
  }

  /** The container's endpoints, the primary (its NetworkMode's) first. */
  ordered(c: NetContainer, primaryId: string | undefined): EndpointRecord[] {
    const eps = this.store.ofContainer(c.id);
    return [...eps.filter((e) => e.networkId === primaryId), ...eps.filter((e) => e.networkId !== primaryId)];
  }

  private usedIps(netId: string): Set<number> {
    const used = new Set<number>();
    for (const e of this.store.ofNetwork(netId)) if (e.live) used.add(parseIp(e.live.ip)!);
    return used;
  }

  /** The next free address, searching on from the last one handed out (as Docker's IPAM does). */
  private allocateIp(net: NetworkRecord, wanted: string | undefined, taken: Set<number>): number {
    const subnet = mustCidr(net.subnet);
    const gw = parseIp(net.gateway)!;
    const used = this.usedIps(net.id);
    if (wanted) {
      const n = parseIp(wanted)!;
      if (used.has(n) || taken.has(n) || n === gw) throw forbidden(`Address already in use`);
      return n;
    }
    const range = net.ipRange ? mustCidr(net.ipRange) : subnet;
    const first = range.base;
    const count = size(range);
    const start = this.cursor.get(net.id) ?? 0;
    for (let i = 0; i < count; i++) {
      const off = (start + i) % count;
      const ip = (first + off) >>> 0;
      if (ip === subnet.base || ip === (subnet.base + size(subnet) - 1) >>> 0 || ip === gw || used.has(ip) || taken.has(ip)) continue;
      this.cursor.set(net.id, off + 1);
      return ip;
    }
    throw forbidden(`no available IPv4 addresses on this network's address pools: ${net.name} (${net.id})`);
  }

  private takenPorts(exceptContainer: string): Set<string> {
    const s = new Set<string>();
    for (const e of this.store.endpoints()) {
      if (e.containerId === exceptContainer) continue;
      for (const p of e.live?.ports ?? []) s.add(`${p.proto}/${p.hostIp}/${p.hostPort}`);
    }
    return s;
  }

  /**
   * Gives live halves to `eps` (addresses, veths, ports on the primary) and plugs them into
   * the container's namespace: a new one at start (`create`), the running one on connect.
   */
  /**
   * Plugs the endpoints in. With `deferHost`, it returns once the namespace exists and is set
   * up from the inside (what `runc create` needs); the host side (bridge ports, published
   * ports) goes on in the returned `host` promise, which must settle before the process runs.
   */
  async plug(c: NetContainer, eps: { ep: EndpointRecord; net: NetworkRecord }[], opts: { create: boolean; nsPath: string; withPorts: boolean; deferHost?: boolean }): Promise<{ host: Promise<void> }> {
    const plugs: Plug[] = [];
    let ports: PortMapping[] = [];
    await this.serial.run(async () => {
      const usedIf = new Set(this.store.ofContainer(c.id).map((e) => e.live?.ifname).filter(Boolean));
      let ifIndex = 0;
      const taken = new Set<number>();
      for (const [i, { ep, net }] of eps.entries()) {
        while (usedIf.has(`eth${ifIndex}`)) ifIndex++;
        const ifname = `eth${ifIndex++}`;
        const ip = this.allocateIp(net, ep.config.ipv4, taken);
        taken.add(ip);
        const primary = opts.create && i === 0;
        if (primary && opts.withPorts) {
          try {
            ports = await allocatePorts(portRequests(c.hostConfig, c.config), this.takenPorts(c.id), net.hostBindingIpv4 || '0.0.0.0');
          } catch (e) {
            if (!(e instanceof BerthError) || e.kind !== 'Conflict') throw e;
            throw new BerthError('Conflict', `driver failed programming external connectivity on endpoint ${c.name.replace(/^\//, '')} (${c.id.slice(0, 12)}): ${e.message}`);
          }
        }
        const plug: Plug = { net, veth: vethName(), ifname, ip: formatIp(ip), mac: ep.config.mac || macFor(ip), primary };
        plugs.push(plug);
        ep.live = { endpointId: randomBytes(32).toString('hex'), ip: plug.ip, mac: plug.mac, veth: plug.veth, ifname, ports: primary ? ports : [] };
        this.store.saveEndpoint(ep);
      }
    });
    if (opts.create) {
      await fs.mkdir(this.netnsDir, { recursive: true, mode: 0o700 });
      await fs.writeFile(opts.nsPath, '');
    }
    const [inner, hostSide] = plugCommands(opts.nsPath, plugs, opts.create);
    await runCommand(inner.cmd, inner.args, inner.input);
    const host = (async () => {
      await runCommand(hostSide.cmd, hostSide.args, hostSide.input);
      if (ports.length) await this.firewall.addPorts({ containerId: c.id, ip: plugs[0].ip, bridge: plugs[0].net.bridge, ports });
    })();
    if (!opts.deferHost) await host;
    return { host };
  }

  /**
   * Stops every live endpoint of a container (it exited, or its start failed). The state
   * changes at once (addresses and ports are free again); the kernel work finishes in the
   * returned promise, which a new start of the same container waits for (`settled`).
   */
  unplugAll(containerId: string): Promise<void> {
    const eps = this.store.ofContainer(containerId).filter((e) => e.live);
    const hadPorts = eps.some((e) => e.live!.ports.length);
    for (const e of eps) { delete e.live; this.store.saveEndpoint(e); }
    const prev = this.pending.get(containerId) ?? Promise.resolve();
    const work = prev.then(async () => {
      if (hadPorts) await this.firewall.removePorts(containerId);
      const ns = this.nsPath(containerId);
      let exists = true;
      try { await fs.access(ns); } catch { exists = false; }
      if (exists) await runScript(unplugNamespaceScript(ns)).catch((e) => this.log.warn(`netns of ${containerId}: ${String(e)}`));
    });
    this.pending.set(containerId, work);
    void work.finally(() => { if (this.pending.get(containerId) === work) this.pending.delete(containerId); });
    return work;
  }

  /** Resolves when no teardown of the container is under way. */
  settled(containerId: string): Promise<void> { return this.pending.get(containerId) ?? Promise.resolve(); }

  /** Takes one live endpoint out of a running container (disconnect). */
  async unplugOne(ep: EndpointRecord): Promise<void> {
    if (!ep.live) return;
    const { veth, ports } = ep.live;
    delete ep.live;
    this.store.saveEndpoint(ep);
    if (ports.length) await this.firewall.removePorts(ep.containerId);
    await runScript(unplugScript([veth])).catch((e) => this.log.warn(`removing ${veth}: ${String(e)}`));
  }
}
