import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EndpointSettings } from '../api/types';
import type { DB } from '../metadata/db';
import { forbidden, invalidParameter, notFound } from '../errdefs';
import type { Logger } from '../util/log';
import { type Attachments, type NetContainer, type NetStartExtras, Attachments as AttachmentsImpl, effectiveMode, sharesNamespace } from './attach';
import { networkFromBody, type NetworkCreateBody, newNetworkId, predefined } from './config';
import { DnsServer } from './dns/server';
import { deleteBridge, ensureBridge, Firewall, writeSysctl } from './firewall';
import { type Cidr, DEFAULT_POOLS, formatCidr, formatIp, mask, mustCidr, parseIp, parseProcRoutes, pickSubnet } from './ipv4';
import { runScript } from './kernel';
import type { LivePorts } from './rules';
import { unplugNamespaceScript } from './sandbox';
import { NetworkStore } from './store';
import type { EndpointRecord, NetworkRecord } from './types';
import { containerNetworkSettings, dnsNames, listPorts, networkView } from './view';
import { filterNetworks } from './filters';

export interface NetworkOptions {
  execRoot: string;
  /** '' = the default bridge `berth0`; 'none' = no default bridge network. */
  bridge: string;
  bip?: string;
  pools?: { base: string; size: number }[];
  icc: boolean;
  iptables: boolean;
  ipForward: boolean;
  ipMasq: boolean;
  mtu?: number;
}

export interface ContainerLookup {
  get(ref: string): NetContainer;
  find(id: string): NetContainer | undefined;
  all(): NetContainer[];
  /** Called when a container that is not running gains or loses a network (its next start must see it). */
  changed?(id: string): Promise<void>;
}

type Publish = (type: string, action: string, id: string, attrs: Record<string, string>) => void;

/**
 * Docker's network model on Linux bridges: the networks (default `bridge`, `host`, `none`,
 * user-defined bridges), the container hooks that give containers their namespaces and
 * addresses, published ports, and one embedded DNS server per user-defined network.
 */
export class NetworkService {
  readonly store: NetworkStore;
  private readonly firewall: Firewall;
  private readonly attach: Attachments;
  private readonly dns = new Map<string, DnsServer>();
  private readonly netnsDir: string;

  constructor(db: DB, private readonly opts: NetworkOptions, private readonly log: Logger, private readonly publish: Publish, private readonly containers: ContainerLookup) {
    this.store = new NetworkStore(db);
    this.firewall = new Firewall(opts.iptables, log);
    this.netnsDir = path.join(opts.execRoot, 'netns');
    this.attach = new AttachmentsImpl(this.store, this.firewall, this.netnsDir, log);
  }

  /** What containers get when their NetworkMode is "default". */
  get defaultMode(): 'bridge' | 'none' { return this.opts.bridge === 'none' ? 'none' : 'bridge'; }

  private defaultBridge(): NetworkRecord | undefined { return this.store.networks().find((n) => n.isDefault); }

  private takenSubnets(exceptId?: string): Cidr[] {
    let routes: Cidr[] = [];
    try { routes = parseProcRoutes(readFileSync('/proc/net/route', 'utf8')); } catch { /* none */ }
    const nets = this.store.networks().filter((n) => n.subnet && n.id !== exceptId).map((n) => mustCidr(n.subnet));
    const own = this.store.networks().filter((n) => n.id === exceptId && n.subnet).map((n) => mustCidr(n.subnet));
    return [...nets, ...routes.filter((r) => !own.some((o) => o.base === r.base && o.bits === r.bits))];
  }

  /** Start-up, before containers are reconciled: networks and bridges as stored and configured. */
  async init(): Promise<void> {
    await fs.mkdir(this.netnsDir, { recursive: true, mode: 0o700 });
    if (this.opts.ipForward) writeSysctl('net/ipv4/ip_forward', '1');
    if (this.opts.iptables) writeSysctl('net/bridge/bridge-nf-call-iptables', '1');
    const now = new Date().toISOString().replace('Z', '000000Z');
    for (const d of ['host', 'null'] as const) if (!this.store.networks().some((n) => n.driver === d)) this.store.saveNetwork(predefined(d, now));
    await this.initDefaultBridge(now);
    for (const n of this.store.networks().filter((x) => x.driver === 'bridge')) {
      await ensureBridge(n).catch((e) => this.log.error(`network ${n.name}: bridge ${n.bridge}: ${String(e)}`));
      if (!n.isDefault) await this.startDns(n);
    }
  }

  private async initDefaultBridge(now: string): Promise<void> {
    const old = this.defaultBridge();
    if (this.opts.bridge === 'none') {
      if (old) { this.store.deleteNetwork(old.id); await deleteBridge(old.bridge).catch(() => undefined); }
      return;
    }
    const name = this.opts.bridge || 'berth0';
    let subnet: Cidr | undefined;
    let gateway: string | undefined;
    if (this.opts.bip) {
      const m = /^([\d.]+)\/(\d+)$/.exec(this.opts.bip);
      const ip = m ? parseIp(m[1]) : undefined;
      if (!m || ip === undefined) throw invalidParameter(`invalid bip: ${this.opts.bip}`);
      subnet = { base: (ip & mask(Number(m[2]))) >>> 0, bits: Number(m[2]) };
      gateway = formatIp(ip);
    } else if (old && old.bridge === name) {
      subnet = mustCidr(old.subnet);
      gateway = old.gateway;
    } else {
      subnet = pickSubnet(this.opts.pools?.length ? this.opts.pools : DEFAULT_POOLS, this.takenSubnets(old?.id));
      if (!subnet) throw forbidden('could not find a free subnet for the default bridge network');
      gateway = formatIp(subnet.base + 1);
    }
    if (old && (old.bridge !== name || old.subnet !== formatCidr(subnet) || old.gateway !== gateway)) await deleteBridge(old.bridge).catch(() => undefined);
    const rec: NetworkRecord = {
      ...(old ?? predefined('null', now, newNetworkId())), name: 'bridge', driver: 'bridge', bridge: name, subnet: formatCidr(subnet),
      gateway, isDefault: true, icc: this.opts.icc, masquerade: this.opts.ipMasq, mtu: this.opts.mtu ?? 1500, hostBindingIpv4: '0.0.0.0',
    };
    this.store.saveNetwork(rec);
  }

  private async startDns(n: NetworkRecord): Promise<void> {
    if (this.dns.has(n.id)) return;
    const server = new DnsServer(n.gateway, (name, asker) => this.resolve(name, asker, n.id), this.log);
    try {
      await server.start();
      this.dns.set(n.id, server);
    } catch (e) {
      this.log.warn(`network ${n.name}: DNS server on ${n.gateway}:53: ${String(e)}`);
    }
  }

  /** After the containers' reconciliation: forget what died while we were away, rebuild iptables. */
  async reconcile(): Promise<void> {
    const running = new Set(this.containers.all().filter((c) => c.state.Running).map((c) => c.id));
    for (const e of this.store.endpoints()) {
      if (!this.containers.find(e.containerId)) { this.store.deleteEndpoint(e.containerId, e.networkId); continue; }
      if (e.live && !running.has(e.containerId)) { delete e.live; this.store.saveEndpoint(e); }
    }
    for (const f of await fs.readdir(this.netnsDir).catch(() => [] as string[])) {
      if (!running.has(f)) await runScript(unplugNamespaceScript(path.join(this.netnsDir, f))).catch(() => undefined);
    }
    await this.firewall.init(this.store.networks(), this.livePorts());
  }

  private livePorts(): LivePorts[] {
    const out: LivePorts[] = [];
    for (const e of this.store.endpoints()) {
      const net = this.store.networks().find((n) => n.id === e.networkId);
      if (e.live?.ports.length && net) out.push({ containerId: e.containerId, ip: e.live.ip, bridge: net.bridge, ports: e.live.ports });
    }
    return out;
  }

  /** The embedded DNS: names visible to the asker on the networks it shares. */
  resolve(name: string, askerIp: string, serverNet: string): { known: boolean; addresses: string[] } {
    const eps = this.store.endpoints();
    const asker = eps.find((e) => e.live?.ip === askerIp && e.networkId === serverNet) ?? eps.find((e) => e.live?.ip === askerIp);
    const visible = new Set(asker ? eps.filter((e) => e.containerId === asker.containerId && e.live).map((e) => e.networkId) : [serverNet]);
    const bridgeIds = new Set(this.store.networks().filter((n) => n.driver === 'bridge' && !n.isDefault).map((n) => n.id));
    const addresses: string[] = [];
    let known = false;
    for (const e of eps) {
      const c = this.containers.find(e.containerId);
      if (!c || !dnsNames(c, e).some((n) => n.toLowerCase() === name)) continue;
      known = true;
      if (e.live && visible.has(e.networkId) && bridgeIds.has(e.networkId) && !addresses.includes(e.live.ip)) addresses.push(e.live.ip);
    }
    if (!known) known = this.containers.all().some((c) => c.name.slice(1).toLowerCase() === name || c.id.startsWith(name) && name.length >= 12);
    return { known, addresses };
  }

  /** The network a container's NetworkMode names (undefined for none/host/container: or without a default bridge). */
  private primaryNetwork(c: NetContainer): NetworkRecord | undefined {
    const mode = effectiveMode(c);
    if (sharesNamespace(mode)) return undefined;
    if (mode === 'bridge') return this.defaultBridge();
    const n = this.store.getNetwork(mode);
    if (n.driver !== 'bridge') return undefined;
    return n;
  }

  /** The primary network's endpoint settings; the deprecated Config.MacAddress applies to it (as dockerd migrates it). */
  private endpointConfig(c: NetContainer, n: NetworkRecord): EndpointSettings | undefined {
    const ec = c.networkingConfig?.EndpointsConfig ?? {};
    const es = ec[n.name] ?? ec[n.id] ?? (n.isDefault ? ec.bridge ?? ec.default : ec[c.hostConfig.NetworkMode ?? '']);
    const legacyMac = (c.config as { MacAddress?: string }).MacAddress;
    return legacyMac && !es?.MacAddress ? { ...es, MacAddress: legacyMac } : es;
  }

  /** The hooks that ContainerService calls (structurally its ContainerHooks). */
  hooks() {
    return {
      created: async (c: NetContainer) => {
        // As dockerd: a network that does not exist fails the start (404), not the create
        // (the docker CLI would take a 404 from create for a missing image and pull).
        const primary = (() => { try { return this.primaryNetwork(c); } catch { return undefined; } })();
        const mode = effectiveMode(c);
        if (primary) this.store.saveEndpoint({ containerId: c.id, networkId: primary.id, config: this.attach.validate(primary, this.endpointConfig(c, primary)) });
        for (const [key, es] of Object.entries(c.networkingConfig?.EndpointsConfig ?? {})) {
          if (sharesNamespace(mode)) break;
          const n = this.store.findNetwork(key === 'default' ? 'bridge' : key);
          if (!n || n.id === primary?.id || n.driver !== 'bridge') continue;
          this.store.saveEndpoint({ containerId: c.id, networkId: n.id, config: this.attach.validate(n, es) });
        }
      },
      prepare: async (c: NetContainer): Promise<NetStartExtras | void> => {
        const primary = this.primaryNetwork(c);
        if (!primary) return;
        if (!this.store.endpoint(c.id, primary.id)) {
          this.store.saveEndpoint({ containerId: c.id, networkId: primary.id, config: this.attach.validate(primary, this.endpointConfig(c, primary)) });
        }
        const list = this.attach.ordered(c, primary.id).map((ep) => {
          const net = this.store.networks().find((n) => n.id === ep.networkId);
          if (!net) throw notFound(`network ${ep.networkId} not found`);
          return { ep, net };
        });
        const t0 = Date.now();
        await this.attach.settled(c.id);
        await this.attach.unplugAll(c.id);
        const nsPath = this.attach.nsPath(c.id);
        // The host side (bridge ports, published ports) runs alongside `runc create`.
        const { host } = await this.attach.plug(c, list, { create: true, nsPath, withPorts: true, deferHost: true });
        const ready = host.then(() => this.log.debug(`network setup of ${c.id.slice(0, 12)}: ${Date.now() - t0} ms`));
        ready.catch(() => undefined);
        const user = list.filter((x) => !x.net.isDefault);
        // dockerd's host-gateway is the default bridge's gateway (else the container's own gateway).
        const hostGateway = this.defaultBridge()?.gateway ?? list[0].net.gateway;
        const hostsEntries = (c.hostConfig.ExtraHosts ?? []).map((h) => /^(.+)[:=]host-gateway$/.exec(h)?.[1]).filter((n): n is string => !!n).map((n) => `${hostGateway}\t${n}`);
        hostsEntries.push(...this.linkEntries(c, list.map((x) => x.net.id)));
        return { netnsPath: nsPath, ip: list[0].ep.live!.ip, nameservers: user.length ? user.map((x) => x.net.gateway) : undefined, hostsEntries, ready };
      },
      // dockerd's events: a container joins its networks as it starts (before `start`) and
      // leaves them once it stopped (after `die`); none and host count, a shared namespace not.
      started: async (c: NetContainer) => { this.publishMembership(c, 'connect'); },
      died: async (c: NetContainer) => { this.publishMembership(c, 'disconnect'); },
      stopped: async (c: NetContainer) => {
        // The kernel part of the teardown runs on in the background: it does not delay `die`.
        const t0 = Date.now();
        void this.attach.unplugAll(c.id).then(() => this.log.debug(`network teardown of ${c.id.slice(0, 12)}: ${Date.now() - t0} ms`));
      },
      removing: async (c: NetContainer) => {
        void this.attach.unplugAll(c.id);
        for (const e of this.store.ofContainer(c.id)) this.store.deleteEndpoint(c.id, e.networkId);
      },
    };
  }

  private publishMembership(c: NetContainer, action: 'connect' | 'disconnect'): void {
    const mode = effectiveMode(c);
    let nets: NetworkRecord[];
    if (mode === 'none' || mode === 'host') nets = [this.store.findNetwork(mode)].filter((n): n is NetworkRecord => !!n);
    else if (sharesNamespace(mode)) nets = [];
    else {
      const all = this.store.networks();
      nets = this.store.ofContainer(c.id).map((e) => all.find((n) => n.id === e.networkId)).filter((n): n is NetworkRecord => !!n);
    }
    for (const n of nets) this.publish('network', action, n.id, { container: c.id, name: n.name, type: n.driver });
  }

  /** Legacy --link NAME[:ALIAS]: /etc/hosts lines for the linked container's address on a shared network. */
  private linkEntries(c: NetContainer, nets: string[]): string[] {
    const out: string[] = [];
    for (const l of c.hostConfig.Links ?? []) {
      const [target, alias] = l.split(':');
      const other = this.containers.find(target.replace(/^\//, ''));
      if (!other) throw notFound(`could not get container for ${target}`);
      const ep = this.store.ofContainer(other.id).find((e) => e.live && nets.includes(e.networkId));
      if (!ep) throw invalidParameter(`Cannot link to ${target}, as it does not belong to the default network`);
      const a = (alias ?? target).replace(/^.*\//, '');
      const name = other.name.replace(/^\//, '');
      out.push(`${ep.live!.ip}\t${a === name ? name : `${a} ${name}`} ${other.id.slice(0, 12)}`);
    }
    return out;
  }

  /** NetworkSettings for container inspect. */
  containerSettings(c: NetContainer): Record<string, unknown> {
    const mode = effectiveMode(c);
    const primary = (() => { try { return this.primaryNetwork(c); } catch { return undefined; } })();
    const eps = this.attach.ordered(c, primary?.id).map((ep) => ({ ep, net: this.store.networks().find((n) => n.id === ep.networkId) }))
      .filter((x): x is { ep: EndpointRecord; net: NetworkRecord } => !!x.net);
    const pseudo = mode === 'host' || mode === 'none' ? this.store.networks().find((n) => n.name === mode) : undefined;
    return containerNetworkSettings(c, mode, eps, pseudo, this.attach.nsPath(c.id));
  }

  containerPorts(c: NetContainer): Record<string, unknown>[] {
    const primary = (() => { try { return this.primaryNetwork(c); } catch { return undefined; } })();
    return listPorts(c, primary ? this.store.endpoint(c.id, primary.id) : undefined);
  }

  list(filters: Map<string, string[]>): Record<string, unknown>[] {
    const nets = filterNetworks(this.store.networks(), filters, (n) => this.store.ofNetwork(n.id).some((e) => e.live));
    return nets.map((n) => networkView(n, null, (id) => this.containers.find(id)));
  }

  inspect(ref: string): Record<string, unknown> {
    const n = this.store.getNetwork(ref);
    return networkView(n, this.store.ofNetwork(n.id), (id) => this.containers.find(id));
  }

  async create(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
    const created = new Date().toISOString().replace('Z', '000000Z');
    const n = networkFromBody(body, this.store.networks(), () => pickSubnet(this.opts.pools?.length ? this.opts.pools : DEFAULT_POOLS, this.takenSubnets()), created);
    if (!body.IPAM?.Config?.length) n.ipamOptions = body.IPAM?.Options ?? {};
    this.store.saveNetwork(n);
    try {
      await ensureBridge(n);
      await this.firewall.sync(this.store.networks(), this.livePorts());
      await this.startDns(n);
    } catch (e) {
      this.store.deleteNetwork(n.id);
      await deleteBridge(n.bridge).catch(() => undefined);
      await this.firewall.sync(this.store.networks(), this.livePorts()).catch(() => undefined);
      throw e;
    }
    this.publish('network', 'create', n.id, { name: n.name, type: n.driver });
    return { Id: n.id, Warning: '' };
  }

  async remove(ref: string): Promise<void> {
    const n = this.store.getNetwork(ref);
    if (n.isDefault || n.driver !== 'bridge') throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    const active = this.store.ofNetwork(n.id).filter((e) => e.live);
    if (active.length) {
      const c = this.containers.find(active[0].containerId);
      throw forbidden(`error while removing network: network ${n.name} has active endpoints (name:"${c?.name.slice(1) ?? ''}" id:"${active[0].containerId.slice(0, 12)}")`);
    }
    for (const e of this.store.ofNetwork(n.id)) this.store.deleteEndpoint(e.containerId, e.networkId);
    this.dns.get(n.id)?.stop();
    this.dns.delete(n.id);
    this.store.deleteNetwork(n.id);
    await deleteBridge(n.bridge);
    await this.firewall.sync(this.store.networks(), this.livePorts());
    this.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
  }

  async prune(filters: Map<string, string[]>): Promise<{ NetworksDeleted: string[] }> {
    for (const k of filters.keys()) if (!['until', 'label', 'label!'].includes(k)) throw invalidParameter(`invalid filter '${k}'`);
    const candidates = filterNetworks(this.store.networks().filter((n) => n.driver === 'bridge' && !n.isDefault), filters, () => false);
    const deleted: string[] = [];
    for (const n of candidates) {
      if (this.store.ofNetwork(n.id).some((e) => e.live)) continue;
      await this.remove(n.id).then(() => deleted.push(n.name), (e) => this.log.warn(`prune ${n.name}: ${String(e)}`));
    }
    this.publish('network', 'prune', '', {});
    return { NetworksDeleted: deleted };
  }

  async connect(ref: string, body: { Container?: string; EndpointConfig?: EndpointSettings | null }): Promise<void> {
    const n = this.store.getNetwork(ref);
    const c = this.containers.get(body.Container ?? '');
    const mode = effectiveMode(c);
    if (n.driver !== 'bridge') throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    if (sharesNamespace(mode)) throw forbidden('container sharing network namespace with another container or host cannot be connected to any other network');
    if (this.store.endpoint(c.id, n.id)) throw forbidden(`endpoint with name ${c.name.slice(1)} already exists in network ${n.name}`);
    const ep: EndpointRecord = { containerId: c.id, networkId: n.id, config: this.attach.validate(n, body.EndpointConfig ?? undefined) };
    this.store.saveEndpoint(ep);
    if (c.state.Running) {
      let nsPath = this.attach.nsPath(c.id);
      try { await fs.access(nsPath); } catch { nsPath = `/proc/${c.state.Pid}/ns/net`; }
      try {
        await this.attach.plug(c, [{ ep, net: n }], { create: false, nsPath, withPorts: false });
      } catch (e) {
        await this.attach.unplugOne(ep).catch(() => undefined);
        this.store.deleteEndpoint(c.id, n.id);
        throw e;
      }
    } else {
      await this.containers.changed?.(c.id);
    }
    this.publish('network', 'connect', n.id, { container: c.id, name: n.name, type: n.driver });
  }

  async disconnect(ref: string, body: { Container?: string; Force?: boolean }): Promise<void> {
    const n = this.store.getNetwork(ref);
    const c = this.containers.get(body.Container ?? '');
    if (n.driver !== 'bridge') throw forbidden('container cannot be disconnected from host network or connected to host network');
    const ep = this.store.endpoint(c.id, n.id);
    // dockerd words it two ways: a stopped container is not connected to "the" network
    if (!ep) throw forbidden(`container ${c.id} is not connected to ${c.state.Running ? '' : 'the '}network ${n.name}`);
    await this.attach.unplugOne(ep);
    this.store.deleteEndpoint(c.id, n.id);
    if (!c.state.Running) await this.containers.changed?.(c.id);
    this.publish('network', 'disconnect', n.id, { container: c.id, name: n.name, type: n.driver });
  }

  /** Daemon shutdown: DNS servers go; kernel state stays for the running containers. */
  close(): void {
    for (const s of this.dns.values()) s.stop();
    this.dns.clear();
  }
}

