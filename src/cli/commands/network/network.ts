import { ApiError } from '../../../client';
import {
  type NetworkCreateRequest, type NetworkResource, networkConnect, networkCreate, networkDisconnect, networkInspect, networkList,
  networkPrune, networkRemove,
} from '../../../client/networks';
import { FORMAT_USAGE_PLAIN, FORMAT_USAGE_TABLE, parseFilterFlags, StatusError, stringList, type CommandDef } from '../../command';
import { renderInspect } from '../../formatters/inspect';
import { renderList, truncateId, type Column } from '../../formatters/table';
import { confirm } from '../container/lifecycle';

/** `k=v` flags (--opt, --label, --ipam-opt, --aux-address) as a map. */
function kvMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

/** docker's consolidateIpam: subnets, ranges, gateways and aux addresses grouped by subnet. */
function ipamConfig(subnets: string[], ranges: string[], gateways: string[]): NetworkCreateRequest['IPAM'] extends infer I ? (I extends { Config?: infer C } ? C : never) : never {
  if (!subnets.length && (ranges.length || gateways.length)) throw new StatusError(1, 'every ip-range or gateway must have a corresponding subnet');
  const cfgs = subnets.map((s) => ({ Subnet: s } as { Subnet: string; IPRange?: string; Gateway?: string }));
  const within = (ip: string, subnet: string) => {
    const [base, bits] = subnet.split('/');
    const n = (a: string) => a.split('.').reduce((x, p) => x * 256 + Number(p), 0);
    const m = bits ? 2 ** (32 - Number(bits)) : 1;
    return Math.floor(n(ip.split('/')[0]) / m) === Math.floor(n(base) / m);
  };
  for (const r of ranges) {
    const c = cfgs.find((x) => within(r, x.Subnet));
    if (!c) throw new StatusError(1, `no matching subnet for range ${r}`);
    if (c.IPRange) throw new StatusError(1, `cannot configure multiple ranges (${r}, ${c.IPRange}) on the same subnet (${c.Subnet})`);
    c.IPRange = r;
  }
  for (const g of gateways) {
    const c = cfgs.find((x) => within(g, x.Subnet));
    if (!c) throw new StatusError(1, `no matching subnet for gateway ${g}`);
    if (c.Gateway) throw new StatusError(1, `cannot configure multiple gateways (${g}, ${c.Gateway}) for the same subnet (${c.Subnet})`);
    c.Gateway = g;
  }
  return cfgs;
}

const daemonError = (e: unknown) => (e instanceof ApiError ? new StatusError(1, `Error response from daemon: ${e.message}`) : e);

export const networkCreateCmd: CommandDef = {
  path: 'network create',
  use: 'create [OPTIONS] NETWORK',
  short: 'Create a network',
  flags: [
    { name: 'attachable', kind: 'bool', usage: 'Enable manual container attachment' },
    { name: 'aux-address', kind: 'list', typeName: 'map', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])' },
    { name: 'config-from', kind: 'string', usage: 'The network from which to copy the configuration' },
    { name: 'config-only', kind: 'bool', usage: 'Create a configuration only network' },
    { name: 'driver', short: 'd', kind: 'string', usage: 'Driver to manage the Network', default: 'bridge' },
    { name: 'gateway', kind: 'list', typeName: 'strings', usage: 'IPv4 or IPv6 Gateway for the master subnet' },
    { name: 'ingress', kind: 'bool', usage: 'Create swarm routing-mesh network' },
    { name: 'internal', kind: 'bool', usage: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', typeName: 'strings', usage: 'Allocate container ip from a sub-range' },
    { name: 'ipam-driver', kind: 'string', usage: 'IP Address Management Driver', default: 'default' },
    { name: 'ipam-opt', kind: 'list', typeName: 'map', usage: 'Set IPAM driver specific options (default map[])' },
    { name: 'ipv4', kind: 'bool', usage: 'Enable or disable IPv4 address assignment', default: true },
    { name: 'ipv6', kind: 'bool', usage: 'Enable or disable IPv6 address assignment' },
    { name: 'label', kind: 'list', usage: 'Set metadata on a network' },
    { name: 'opt', short: 'o', kind: 'list', typeName: 'map', usage: 'Set driver specific options (default map[])' },
    { name: 'scope', kind: 'string', usage: "Control the network's scope" },
    { name: 'subnet', kind: 'list', typeName: 'strings', usage: 'Subnet in CIDR format that represents a network segment' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [name], changed) {
    const split = (k: string) => stringList(v[k]).flatMap((s) => s.split(',')).filter(Boolean);
    const cfg = ipamConfig(split('subnet'), split('ip-range'), split('gateway'));
    const aux = kvMap(stringList(v['aux-address']));
    if (Object.keys(aux).length && cfg?.[0]) (cfg[0] as { AuxiliaryAddresses?: Record<string, string> }).AuxiliaryAddresses = aux;
    const body: NetworkCreateRequest = {
      Name: name, Driver: String(v.driver || 'bridge'), Scope: String(v.scope ?? ''), Internal: !!v.internal, Attachable: !!v.attachable,
      Ingress: !!v.ingress, ConfigOnly: !!v['config-only'],
      ...(v['config-from'] ? { ConfigFrom: { Network: String(v['config-from']) } } : {}),
      IPAM: { Driver: String(v['ipam-driver'] || 'default'), Config: cfg, Options: kvMap(stringList(v['ipam-opt'])) },
      Options: kvMap(stringList(v.opt)), Labels: kvMap(stringList(v.label)),
    };
    if (changed.has('ipv4')) body.EnableIPv4 = v.ipv4 !== false;
    if (changed.has('ipv6')) body.EnableIPv6 = !!v.ipv6;
    try {
      const r = await networkCreate(ctx.client(), body);
      ctx.stdout.write(`${r.Id}\n`);
    } catch (e) { throw daemonError(e); }
  },
};

type Row = NetworkResource;
const columns = (trunc: boolean): Column<Row>[] => [
  { header: 'NETWORK ID', field: 'ID', value: (n) => (trunc ? truncateId(n.Id) : n.Id) },
  { header: 'NAME', field: 'Name', value: (n) => n.Name },
  { header: 'DRIVER', field: 'Driver', value: (n) => n.Driver },
  { header: 'SCOPE', field: 'Scope', value: (n) => n.Scope },
];

function labelsString(l: Record<string, string> | null): string {
  return Object.entries(l ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

export const networkLs: CommandDef = {
  path: 'network ls',
  aliases: ['network list'],
  use: 'ls [OPTIONS]',
  short: 'List networks',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "driver=bridge")' },
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_TABLE },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display network IDs' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const trunc = !v['no-trunc'];
    const list = (await networkList(ctx.client(), parseFilterFlags(stringList(v.filter))).catch((e) => { throw daemonError(e); }))
      .sort((a, b) => a.Name.localeCompare(b.Name));
    if (v.quiet) { ctx.stdout.write(list.map((n) => (trunc ? truncateId(n.Id) : n.Id) + '\n').join('')); return; }
    ctx.stdout.write(renderList(list, String(v.format ?? ''), columns(trunc), (n) => ({
      ID: trunc ? truncateId(n.Id) : n.Id, Name: n.Name, Driver: n.Driver, Scope: n.Scope, IPv4: 'true', IPv6: String(!!n.EnableIPv6),
      Internal: String(!!n.Internal), Labels: labelsString(n.Labels), CreatedAt: n.Created,
      Label: (k: string) => n.Labels?.[k] ?? '',
    })));
  },
};

export const networkInspectCmd: CommandDef = {
  path: 'network inspect',
  use: 'inspect [OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  flags: [
    { name: 'format', short: 'f', kind: 'string', usage: FORMAT_USAGE_PLAIN },
    { name: 'verbose', short: 'v', kind: 'bool', usage: 'Verbose output for diagnostics' },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const n of names) {
      try { found.push(await networkInspect(ctx.client(), n, { verbose: !!v.verbose })); } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        errors.push(e.statusCode === 404 ? `Error: No such network: ${n}` : `Error response from daemon: ${e.message}`);
      }
    }
    try { ctx.stdout.write(renderInspect(found, String(v.format ?? ''))); } catch (e) {
      throw new StatusError(1, `template parsing error: ${(e as Error).message}`);
    }
    if (errors.length) { ctx.stderr.write(errors.join('\n') + '\n'); return 1; }
    return 0;
  },
};

export const networkRm: CommandDef = {
  path: 'network rm',
  aliases: ['network remove'],
  use: 'rm NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Do not error if the network does not exist' }],
  args: { min: 1 },
  async run(ctx, v, names) {
    let status = 0;
    for (const n of names) {
      try {
        await networkRemove(ctx.client(), n);
        ctx.stdout.write(`${n}\n`);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (v.force && e.statusCode === 404) continue;
        ctx.stderr.write(`Error response from daemon: ${e.message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

export const networkPruneCmd: CommandDef = {
  path: 'network prune',
  use: 'prune [OPTIONS]',
  short: 'Remove all unused networks',
  flags: [
    { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    if (!v.force && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
    const r = await networkPrune(ctx.client(), parseFilterFlags(stringList(v.filter))).catch((e) => { throw daemonError(e); });
    const deleted = r.NetworksDeleted ?? [];
    ctx.stdout.write(deleted.length ? `Deleted Networks:\n${deleted.map((d) => `${d}\n`).join('')}\n` : '\n');
    return 0;
  },
};

export const networkConnectCmd: CommandDef = {
  path: 'network connect',
  use: 'connect [OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  flags: [
    { name: 'alias', kind: 'list', typeName: 'strings', usage: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', typeName: 'strings', usage: 'driver options for the network' },
    { name: 'gw-priority', kind: 'int', usage: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', typeName: 'list', usage: 'Add link to another container' },
    { name: 'link-local-ip', kind: 'list', typeName: 'strings', usage: 'Add a link-local address for the container' },
  ],
  args: { min: 2, max: 2 },
  async run(ctx, v, [network, container]) {
    const ip = String(v.ip ?? '');
    const ip6 = String(v.ip6 ?? '');
    const config = {
      IPAMConfig: ip || ip6 ? { IPv4Address: ip || undefined, IPv6Address: ip6 || undefined } : undefined,
      Links: stringList(v.link).length ? stringList(v.link) : undefined,
      Aliases: stringList(v.alias).flatMap((a) => a.split(',')).filter(Boolean),
      DriverOpts: stringList(v['driver-opt']).length ? kvMap(stringList(v['driver-opt'])) : undefined,
      GwPriority: Number(v['gw-priority'] ?? 0) || undefined,
    };
    await networkConnect(ctx.client(), network, container, config).catch((e) => { throw daemonError(e); });
  },
};

export const networkDisconnectCmd: CommandDef = {
  path: 'network disconnect',
  use: 'disconnect [OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the container to disconnect from a network' }],
  args: { min: 2, max: 2 },
  async run(ctx, v, [network, container]) {
    await networkDisconnect(ctx.client(), network, container, !!v.force).catch((e) => { throw daemonError(e); });
  },
};
