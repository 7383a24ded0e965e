/**
 * POST /build (classic builder) and POST /build/prune, as functions of an EngineClient so
 * that this file grows without touching engine.ts. The context goes up as a tar.
 */
import type { Readable } from 'node:stream';
import type { EngineClient } from './engine';
import { jsonStream, readAll } from './transport';
import type { JSONMessage } from './types';

export interface BuildOptions {
  tags?: string[];
  dockerfile?: string;
  remote?: string;
  buildArgs?: Record<string, string | null>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  rm?: boolean;
  forceRm?: boolean;
  labels?: Record<string, string>;
  cacheFrom?: string[];
  networkMode?: string;
  extraHosts?: string[];
  shmSize?: number;
  memory?: number;
  cpuShares?: number;
  platform?: string;
  quiet?: boolean;
}

export async function imageBuild(client: EngineClient, context: Readable | Buffer | undefined, o: BuildOptions): Promise<AsyncGenerator<JSONMessage>> {
  const res = await client.transport.request({
    method: 'POST', path: '/build',
    body: context,
    headers: context ? { 'Content-Type': 'application/x-tar' } : undefined,
    query: {
      t: o.tags?.length ? o.tags : undefined,
      dockerfile: o.dockerfile,
      remote: o.remote,
      buildargs: o.buildArgs && Object.keys(o.buildArgs).length ? JSON.stringify(o.buildArgs) : undefined,
      target: o.target || undefined,
      nocache: o.noCache || undefined,
      pull: o.pull || undefined,
      rm: o.rm === false ? '0' : '1',
      forcerm: o.forceRm || undefined,
      labels: o.labels && Object.keys(o.labels).length ? JSON.stringify(o.labels) : undefined,
      cachefrom: o.cacheFrom?.length ? JSON.stringify(o.cacheFrom) : undefined,
      networkmode: o.networkMode || undefined,
      extrahosts: o.extraHosts?.length ? o.extraHosts.join(',') : undefined,
      shmsize: o.shmSize || undefined,
      memory: o.memory || undefined,
      cpushares: o.cpuShares || undefined,
      platform: o.platform || undefined,
      q: o.quiet || undefined,
      version: '1',
    },
  });
  return jsonStream<JSONMessage>(res);
}

export async function buildPrune(client: EngineClient, o: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
  const res = await client.transport.request({
    method: 'POST', path: '/build/prune',
    query: { all: o.all || undefined, filters: o.filters && Object.keys(o.filters).length ? JSON.stringify(o.filters) : undefined },
  });
  return JSON.parse((await readAll(res)).toString('utf8'));
}
