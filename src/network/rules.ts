import type { NetworkRecord, PortMapping } from './types';

/**
 * iptables rules in Docker's layout with Berth's names (BERTH-*), rendered as
 * iptables-restore input. Network-level chains are rebuilt whole (declaring a chain in a
 * --noflush restore flushes it); each container with published ports gets chains of its
 * own (BERTH-P-<short id>) added and removed incrementally.
 *
 *  nat:    PREROUTING/OUTPUT (dst LOCAL) -> BERTH -> BERTH-P-<c>: DNAT to the container
 *          POSTROUTING -> BERTH-POSTROUTING: MASQUERADE outbound, and loopback-sourced
 *          traffic into a bridge (published ports reached via 127.0.0.1, route_localnet)
 *  filter: FORWARD -> BERTH-FORWARD -> BERTH-ISOLATION-STAGE-1/2 (networks apart),
 *          established, BERTH -> BERTH-P-<c> (published ports), outbound, icc, drop the rest
 */
export const JUMPS: Record<'nat' | 'filter', string[]> = {
  nat: [
    '-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH',
    '-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH',
    '-A POSTROUTING -j BERTH-POSTROUTING',
  ],
  filter: ['-A FORWARD -j BERTH-FORWARD'],
};

export interface LivePorts { containerId: string; ip: string; bridge: string; ports: PortMapping[] }

export const portChain = (containerId: string) => `BERTH-P-${containerId.slice(0, 12)}`;

function natPortRules(p: LivePorts): string[] {
  const ch = portChain(p.containerId);
  return p.ports.map((m) => {
    const dst = m.hostIp && m.hostIp !== '0.0.0.0' ? `-d ${m.hostIp}/32 ` : '';
    return `-A ${ch} ${dst}-p ${m.proto} -m ${m.proto} --dport ${m.hostPort} -j DNAT --to-destination ${p.ip}:${m.containerPort}`;
  });
}

function filterPortRules(p: LivePorts): string[] {
  const ch = portChain(p.containerId);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const m of p.ports) {
    const k = `${m.proto}/${m.containerPort}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(`-A ${ch} -d ${p.ip}/32 -o ${p.bridge} -p ${m.proto} -m ${m.proto} --dport ${m.containerPort} -j ACCEPT`);
  }
  return out;
}

/** Everything, from state: used at start-up and when networks come or go. */
export function renderAll(nets: NetworkRecord[], live: LivePorts[], opts: { installJumps: boolean; existing?: { nat: string[]; filter: string[] } }): string {
  const bridges = nets.filter((n) => n.driver === 'bridge');
  const nat: string[] = ['*nat', ':BERTH - [0:0]', ':BERTH-POSTROUTING - [0:0]'];
  const filter: string[] = ['*filter', ':BERTH - [0:0]', ':BERTH-FORWARD - [0:0]', ':BERTH-ISOLATION-STAGE-1 - [0:0]', ':BERTH-ISOLATION-STAGE-2 - [0:0]'];
  for (const p of live) { nat.push(`:${portChain(p.containerId)} - [0:0]`); filter.push(`:${portChain(p.containerId)} - [0:0]`); }
  for (const [table, lines] of [['nat', nat], ['filter', filter]] as const) {
    const declared = new Set(lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]));
    const stale = (opts.existing?.[table] ?? []).filter((c) => !declared.has(c));
    lines.push(...stale.map((c) => `-F ${c}`), ...stale.map((c) => `-X ${c}`));
  }
  if (opts.installJumps) { nat.push(...JUMPS.nat); filter.push(...JUMPS.filter); }
  for (const n of bridges) {
    if (n.masquerade && !n.internal) nat.push(`-A BERTH-POSTROUTING -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
    nat.push(`-A BERTH-POSTROUTING -o ${n.bridge} -m addrtype --src-type LOCAL -j MASQUERADE`);
    // Hairpin: a container reaching a published port through a host address, served on its own bridge.
    nat.push(`-A BERTH-POSTROUTING -s ${n.subnet} -o ${n.bridge} -m conntrack --ctstate DNAT -j MASQUERADE`);
  }
  for (const p of live) {
    nat.push(`-A BERTH -j ${portChain(p.containerId)}`, ...natPortRules(p));
    filter.push(`-A BERTH -j ${portChain(p.containerId)}`, ...filterPortRules(p));
  }
  filter.push('-A BERTH-FORWARD -j BERTH-ISOLATION-STAGE-1');
  for (const n of bridges) {
    const b = n.bridge;
    if (n.internal) {
      filter.push(`-A BERTH-ISOLATION-STAGE-1 -i ${b} ! -d ${n.subnet} -j DROP`, `-A BERTH-ISOLATION-STAGE-1 -o ${b} ! -s ${n.subnet} -j DROP`);
    } else {
      filter.push(`-A BERTH-ISOLATION-STAGE-1 -i ${b} ! -o ${b} -j BERTH-ISOLATION-STAGE-2`);
    }
    filter.push(`-A BERTH-ISOLATION-STAGE-2 -o ${b} -j DROP`);
    filter.push(`-A BERTH-FORWARD -o ${b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    filter.push(`-A BERTH-FORWARD -o ${b} -j BERTH`);
    if (!n.internal) filter.push(`-A BERTH-FORWARD -i ${b} ! -o ${b} -j ACCEPT`);
    filter.push(`-A BERTH-FORWARD -i ${b} -o ${b} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
    filter.push(`-A BERTH-FORWARD -o ${b} -j DROP`);
  }
  return [...nat, 'COMMIT', ...filter, 'COMMIT', ''].join('\n');
}

/** Removes every chain and jump of Berth (the last network went away). */
export function renderUninstall(chains: { nat: string[]; filter: string[] }): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    out.push(`*${table}`, ...JUMPS[table].map((j) => j.replace(/^-A/, '-D')));
    for (const c of chains[table]) out.push(`-F ${c}`);
    for (const c of chains[table]) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** A container's published ports: its own chains, hooked into BERTH. */
export function renderPortsAdd(p: LivePorts): string {
  if (!p.ports.length) return '';
  const ch = portChain(p.containerId);
  return ['*nat', `:${ch} - [0:0]`, ...natPortRules(p), `-A BERTH -j ${ch}`, 'COMMIT',
    '*filter', `:${ch} - [0:0]`, ...filterPortRules(p), `-A BERTH -j ${ch}`, 'COMMIT', ''].join('\n');
}

export function renderPortsRemove(containerId: string): string {
  const ch = portChain(containerId);
  return ['*nat', `-D BERTH -j ${ch}`, `-F ${ch}`, `-X ${ch}`, 'COMMIT',
    '*filter', `-D BERTH -j ${ch}`, `-F ${ch}`, `-X ${ch}`, 'COMMIT', ''].join('\n');
}

/** Berth's chains and whether its jumps are in place, from `iptables-save` output. */
export function parseSaved(text: string): { chains: { nat: string[]; filter: string[] }; jumps: boolean } {
  const chains = { nat: [] as string[], filter: [] as string[] };
  let table = '';
  let jumps = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^:(BERTH[\w-]*) /.exec(line);
    if (m && (table === 'nat' || table === 'filter')) chains[table].push(m[1]);
    if (/^-A (PREROUTING|OUTPUT|POSTROUTING|FORWARD) .*-j BERTH(-FORWARD|-POSTROUTING)?\s*$/.test(line)) jumps++;
  }
  return { chains, jumps: jumps >= 4 };
}
