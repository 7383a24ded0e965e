/** What Berth keeps about networks and the containers attached to them. */

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: NetworkDriver;
  internal: boolean;
  attachable: boolean;
  /** IPv4 only; empty for host/none. */
  subnet: string;
  gateway: string;
  ipRange: string;
  /** The user gave IPAM config (inspect shows it as given). */
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** Linux bridge name. */
  bridge: string;
  icc: boolean;
  masquerade: boolean;
  mtu: number;
  hostBindingIpv4: string;
  /** The daemon's default `bridge` network: no DNS, rebuilt from flags at start. */
  isDefault: boolean;
}

export interface PortMapping {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

/** A container's attachment to a network; `live` is set while the container runs. */
export interface EndpointRecord {
  containerId: string;
  networkId: string;
  config: {
    aliases: string[];
    ipv4?: string;
    mac?: string;
    driverOpts?: Record<string, string>;
    links?: string[];
  };
  live?: {
    endpointId: string;
    ip: string;
    mac: string;
    /** Host-side veth name and the interface name inside the container. */
    veth: string;
    ifname: string;
    ports: PortMapping[];
  };
}
