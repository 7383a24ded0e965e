import { ApiError } from '../../../client';
import { StatusError, type CommandDef } from '../../command';

type Ports = Record<string, { HostIp: string; HostPort: string }[] | null> | null | undefined;

function hostPort(b: { HostIp: string; HostPort: string }): string {
  const ip = b.HostIp || '0.0.0.0';
  return ip.includes(':') ? `[${ip}]:${b.HostPort}` : `${ip}:${b.HostPort}`;
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
function naturalCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) return Number(x) - Number(y) || x.length - y.length;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** docker port: the published bindings of a container, from its inspect. */
export const port: CommandDef = {
  path: 'container port',
  aliases: ['port'],
  use: 'port CONTAINER [PRIVATE_PORT[/PROTO]]',
  short: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx, _v, [container, spec]) {
    let info: { NetworkSettings?: { Ports?: Ports } };
    try {
      info = await ctx.client().containerInspect(container) as never;
    } catch (e) {
      if (e instanceof ApiError) throw new StatusError(1, `Error response from daemon: ${e.message}`);
      throw e;
    }
    const ports = info.NetworkSettings?.Ports ?? {};
    if (spec) {
      const [p, proto = 'tcp'] = spec.split('/');
      if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new StatusError(1, `Error: invalid port (${p}): invalid syntax`);
      const list = ports[`${p}/${proto}`];
      if (!list?.length) throw new StatusError(1, `Error: No public port '${p}/${proto}' published for ${container}`);
      ctx.stdout.write(list.map((b) => `${hostPort(b)}\n`).join(''));
      return;
    }
    const lines: string[] = [];
    for (const [k, list] of Object.entries(ports)) for (const b of list ?? []) lines.push(`${k} -> ${hostPort(b)}`);
    lines.sort(naturalCompare);
    ctx.stdout.write(lines.map((l) => `${l}\n`).join(''));
  },
};
