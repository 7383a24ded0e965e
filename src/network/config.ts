import { randomBytes } from 'node:crypto';
import { conflict, forbidden, invalidParameter, notFound, notImplemented } from '../errdefs';
import { type Cidr, contains, formatCidr, formatIp, mustCidr, overlaps, parseCidr, parseIp } from './ipv4';
import type { NetworkRecord } from './types';

/** Body of POST /networks/create (the fields Berth reads). */
export interface NetworkCreateBody {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  EnableIPv6?: boolean;
  EnableIPv4?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export const OPT = {
  name: 'com.docker.network.bridge.name',
  icc: 'com.docker.network.bridge.enable_icc',
  masq: 'com.docker.network.bridge.enable_ip_masquerade',
  hostIp: 'com.docker.network.bridge.host_binding_ipv4',
  mtu: 'com.docker.network.driver.mtu',
  defaultBridge: 'com.docker.network.bridge.default_bridge',
} as const;

const KNOWN_OPTS = new Set<string>([...Object.values(OPT), 'com.docker.network.bridge.enable_ip_masquerade', 'com.docker.network.bridge.inhibit_ipv4',
  'com.docker.network.bridge.gateway_mode_ipv4', 'com.docker.network.container_iface_prefix', 'com.docker.network.enable_ipv6']);

function boolOpt(opts: Record<string, string>, key: string, def: boolean): boolean {
  const v = opts[key];
  if (v === undefined || v === '') return def;
  if (/^(1|t|true)$/i.test(v)) return true;
  if (/^(0|f|false)$/i.test(v)) return false;
  throw invalidParameter(`failed to parse ${key} value: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export const newNetworkId = () => randomBytes(32).toString('hex');

/**
 * Checks a create request the way dockerd does and returns the record to store; the
 * subnet comes from `pick` when the request has none. Errors carry Docker's messages.
 */
export function networkFromBody(body: NetworkCreateBody, existing: NetworkRecord[], pick: () => Cidr | undefined, created: string): NetworkRecord {
  const name = body.Name ?? '';
  if (!name) throw invalidParameter('invalid name: name is empty'); // dockerd: network name must be set
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidParameter(`invalid network name "${name}": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
  if (existing.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
  const driver = body.Driver || 'bridge';
  if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
  if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
  if (body.Ingress) throw forbidden('ingress networks are a swarm feature: this node is not a swarm manager');
  if (body.ConfigOnly || body.ConfigFrom?.Network) throw notImplemented('config-only networks are not implemented yet in berth');
  if (body.EnableIPv6) throw notImplemented('IPv6 networks are not implemented yet in berth');
  const ipamDriver = body.IPAM?.Driver || 'default';
  if (ipamDriver !== 'default') throw notFound(`plugin "${ipamDriver}" not found`);
  const opts = { ...(body.Options ?? {}) };
  for (const k of Object.keys(opts)) if (k.startsWith('com.docker.network.') && !KNOWN_OPTS.has(k)) throw invalidParameter(`unknown option ${k}`);
  const cfgs = (body.IPAM?.Config ?? []).filter((c) => !c.Subnet?.includes(':') && !c.Gateway?.includes(':'));
  if (cfgs.length > 1) throw notImplemented('more than one IPv4 subnet per network is not implemented yet in berth');
  const cfg = cfgs[0] ?? {};
  let subnet: Cidr;
  if (cfg.Subnet) {
    const parsed = parseCidr(cfg.Subnet);
    if (!parsed) throw invalidParameter(`invalid network config:\ninvalid subnet ${cfg.Subnet}: invalid CIDR address: ${cfg.Subnet}`);
    if (parsed.bits > 30) throw invalidParameter(`invalid network config:\ninvalid subnet ${cfg.Subnet}: too small`);
    subnet = parsed;
    const clash = existing.find((n) => n.subnet && overlaps(mustCidr(n.subnet), subnet));
    if (clash) throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
  } else {
    if (cfg.Gateway || cfg.IPRange) throw invalidParameter('invalid network config:\nno subnet specified for gateway or ip-range');
    const p = pick();
    if (!p) throw forbidden('all predefined address pools have been fully subnetted');
    subnet = p;
  }
  let gw = subnet.base + 1;
  if (cfg.Gateway) {
    const g = parseIp(cfg.Gateway);
    if (g === undefined) throw invalidParameter(`invalid network config:\ninvalid gateway address ${cfg.Gateway}`);
    if (!contains(subnet, g)) throw invalidParameter(`invalid network config:\nsubnet ${formatCidr(subnet)} does not contain gateway ${cfg.Gateway}`);
    gw = g;
  }
  let ipRange = '';
  if (cfg.IPRange) {
    const r = parseCidr(cfg.IPRange);
    if (!r) throw invalidParameter(`invalid network config:\ninvalid ip-range ${cfg.IPRange}: invalid CIDR address: ${cfg.IPRange}`);
    if (!contains(subnet, r.base) || r.bits < subnet.bits) throw invalidParameter(`invalid network config:\nsubnet ${formatCidr(subnet)} does not contain ip-range ${cfg.IPRange}`);
    ipRange = formatCidr(r);
  }
  const id = newNetworkId();
  const bridge = opts[OPT.name] || `br-${id.slice(0, 12)}`;
  if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge)) throw invalidParameter(`invalid bridge name: ${bridge}`);
  if (existing.some((n) => n.bridge === bridge)) throw conflict(`bridge name ${bridge} is already in use by another network`);
  const mtu = opts[OPT.mtu] ? Number(opts[OPT.mtu]) : 1500;
  if (!Number.isInteger(mtu) || mtu < 68) throw invalidParameter(`invalid MTU number: ${opts[OPT.mtu]}`);
  return {
    id, name, created, driver: 'bridge', internal: !!body.Internal, attachable: !!body.Attachable,
    subnet: formatCidr(subnet), gateway: formatIp(gw), ipRange, ipamDriver, ipamOptions: body.IPAM?.Options ?? {},
    options: opts, labels: body.Labels ?? {}, bridge, icc: boolOpt(opts, OPT.icc, true), masquerade: boolOpt(opts, OPT.masq, true),
    mtu, hostBindingIpv4: opts[OPT.hostIp] || '0.0.0.0', isDefault: false,
  };
}

/** The pseudo networks dockerd always lists. */
export function predefined(driver: 'host' | 'null', created: string, id = newNetworkId()): NetworkRecord {
  return {
    id, name: driver === 'null' ? 'none' : 'host', created, driver, internal: false, attachable: false, subnet: '', gateway: '',
    ipRange: '', ipamDriver: 'default', ipamOptions: {}, options: {}, labels: {}, bridge: '', icc: false, masquerade: false, mtu: 0,
    hostBindingIpv4: '', isDefault: false,
  };
}
