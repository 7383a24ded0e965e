/**
 * Engine API calls for networks. Functions of an EngineClient rather than methods, so that
 * this file grows without touching engine.ts.
 */
import type { EngineClient, Filters } from './engine';
import { encodeFilters } from './engine';

export interface NetworkResource {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: { Subnet?: string; IPRange?: string; Gateway?: string }[] | null };
  Containers?: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string> | null;
  Labels: Record<string, string> | null;
  [k: string]: unknown;
}

export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network: string };
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
}

export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  Links?: string[];
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
  GwPriority?: number;
}

const enc = encodeURIComponent;

export function networkList(c: EngineClient, filters?: Filters): Promise<NetworkResource[]> {
  return c.transport.json({ method: 'GET', path: '/networks', query: { filters: encodeFilters(filters) } });
}

export function networkInspect(c: EngineClient, ref: string, opts: { verbose?: boolean; scope?: string } = {}): Promise<NetworkResource> {
  return c.transport.json({ method: 'GET', path: `/networks/${enc(ref)}`, query: { verbose: opts.verbose || undefined, scope: opts.scope || undefined } });
}

export function networkCreate(c: EngineClient, body: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> {
  return c.transport.json({ method: 'POST', path: '/networks/create', body });
}

export function networkRemove(c: EngineClient, ref: string): Promise<void> {
  return c.transport.empty({ method: 'DELETE', path: `/networks/${enc(ref)}` });
}

export function networkPrune(c: EngineClient, filters?: Filters): Promise<{ NetworksDeleted: string[] | null }> {
  return c.transport.json({ method: 'POST', path: '/networks/prune', query: { filters: encodeFilters(filters) } });
}

export function networkConnect(c: EngineClient, ref: string, container: string, config?: EndpointConfig): Promise<void> {
  return c.transport.empty({ method: 'POST', path: `/networks/${enc(ref)}/connect`, body: { Container: container, EndpointConfig: config } });
}

export function networkDisconnect(c: EngineClient, ref: string, container: string, force = false): Promise<void> {
  return c.transport.empty({ method: 'POST', path: `/networks/${enc(ref)}/disconnect`, body: { Container: container, Force: force } });
}
