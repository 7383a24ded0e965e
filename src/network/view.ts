import { portsView } from './ports';
import type { NetContainer } from './attach';
import type { EndpointRecord, NetworkRecord } from './types';
import { OPT } from './config';

/** Options as inspect shows them (the default bridge lists its effective settings, as dockerd does). */
function optionsView(n: NetworkRecord): Record<string, string> {
  if (!n.isDefault) return { ...n.options };
  return {
    [OPT.defaultBridge]: 'true', [OPT.icc]: String(n.icc), [OPT.masq]: String(n.masquerade),
    [OPT.hostIp]: n.hostBindingIpv4, [OPT.name]: n.bridge, [OPT.mtu]: String(n.mtu),
  };
}

export function dnsNames(c: NetContainer, ep: EndpointRecord): string[] {
  return [c.name.replace(/^\//, ''), ...ep.config.aliases, c.id.slice(0, 12)];
}

/** GET /networks/{id} and the entries of GET /networks, in dockerd's shape. */
export function networkView(n: NetworkRecord, eps: EndpointRecord[] | null, find: (id: string) => NetContainer | undefined): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const e of eps ?? []) {
    const c = find(e.containerId);
    if (!c || !e.live) continue;
    containers[c.id] = {
      Name: c.name.replace(/^\//, ''), EndpointID: e.live.endpointId, MacAddress: e.live.mac,
      IPv4Address: `${e.live.ip}/${n.subnet.split('/')[1]}`, IPv6Address: '',
    };
  }
  const config = n.subnet ? [{ Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway }] : [];
  return {
    Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: n.driver, EnableIPv4: true, EnableIPv6: false,
    IPAM: { Driver: n.ipamDriver, Options: n.isDefault || n.driver !== 'bridge' ? null : n.ipamOptions, Config: config },
    Internal: n.internal, Attachable: n.attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: optionsView(n), Labels: n.labels,
  };
}

function endpointView(c: NetContainer, n: NetworkRecord, ep: EndpointRecord | undefined): Record<string, unknown> {
  const live = ep?.live;
  const user = n.driver === 'bridge' && !n.isDefault;
  return {
    IPAMConfig: ep?.config.ipv4 ? { IPv4Address: ep.config.ipv4 } : null,
    Links: ep?.config.links?.length ? ep.config.links : null,
    Aliases: ep?.config.aliases.length ? ep.config.aliases : null,
    MacAddress: live?.mac ?? ep?.config.mac ?? '', DriverOpts: ep?.config.driverOpts ?? null, GwPriority: 0,
    NetworkID: n.id, EndpointID: live?.endpointId ?? '', Gateway: live ? n.gateway : '', IPAddress: live?.ip ?? '',
    IPPrefixLen: live ? Number(n.subnet.split('/')[1]) : 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    DNSNames: user && ep ? dnsNames(c, ep) : null,
  };
}

/** The NetworkSettings fields of a container's inspect that networking owns. */
export function containerNetworkSettings(c: NetContainer, mode: string, eps: { ep: EndpointRecord; net: NetworkRecord }[], pseudo: NetworkRecord | undefined, nsPath: string): Record<string, unknown> {
  const networks: Record<string, unknown> = {};
  if (pseudo) networks[pseudo.name] = endpointView(c, pseudo, undefined);
  for (const { ep, net } of eps) networks[net.name] = endpointView(c, net, ep);
  const primary = eps[0];
  const live = primary?.ep.live;
  const running = c.state.Running;
  const legacy = primary && primary.net.isDefault && live
    ? { EndpointID: live.endpointId, Gateway: primary.net.gateway, IPAddress: live.ip, IPPrefixLen: Number(primary.net.subnet.split('/')[1]), MacAddress: live.mac }
    : { EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' };
  return {
    SandboxID: running && live ? c.id : '', SandboxKey: running && live ? nsPath : '',
    // Without any network (e.g. `--bridge none`), the containers' own default view stays.
    ...(Object.keys(networks).length ? { Networks: networks } : {}),
    Ports: mode === 'host' || mode.startsWith('container:') ? {} : portsView(c.config, c.hostConfig, running ? (live?.ports ?? []) : undefined),
    ...legacy,
  };
}

/** GET /containers/json Ports entries (docker ps groups them). */
export function listPorts(c: NetContainer, ep: EndpointRecord | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const live = c.state.Running ? ep?.live?.ports ?? [] : [];
  const published = new Set(live.map((p) => `${p.containerPort}/${p.proto}`));
  for (const p of live) out.push({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  for (const k of Object.keys(c.config.ExposedPorts ?? {})) {
    const [port, proto = 'tcp'] = k.split('/');
    if (!published.has(`${port}/${proto}`)) out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}
