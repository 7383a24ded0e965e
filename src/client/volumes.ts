/**
 * Engine API calls for volumes, docker cp's archive endpoints and disk usage. Functions of
 * an EngineClient rather than methods, so that this file grows without touching engine.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { EngineClient, Filters } from './engine';
import { encodeFilters } from './engine';
import { ApiError } from './errors';
import { readAll } from './transport';

export interface Volume {
  CreatedAt?: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: string;
  Status?: Record<string, unknown>;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface VolumeCreateOptions { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }

/** Docker's ContainerPathStat (X-Docker-Container-Path-Stat). */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

export interface DiskUsage {
  LayersSize: number;
  Images: { Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number; [k: string]: unknown }[] | null;
  Containers: { Id: string; Names: string[]; Image: string; Command: string; Created: number; State: string; Status: string; SizeRw?: number; SizeRootFs?: number; Mounts?: unknown[]; [k: string]: unknown }[] | null;
  Volumes: Volume[] | null;
  BuildCache: { ID: string; Type: string; Size: number; InUse: boolean; Shared: boolean; CreatedAt: string; LastUsedAt: string | null; UsageCount: number; Description: string; [k: string]: unknown }[] | null;
}

const enc = encodeURIComponent;

export function volumeCreate(c: EngineClient, body: VolumeCreateOptions): Promise<Volume> {
  return c.transport.json({ method: 'POST', path: '/volumes/create', body });
}

export async function volumeList(c: EngineClient, filters?: Filters): Promise<{ Volumes: Volume[] | null; Warnings: string[] | null }> {
  return c.transport.json({ method: 'GET', path: '/volumes', query: { filters: encodeFilters(filters) } });
}

export function volumeInspect(c: EngineClient, name: string): Promise<Volume> {
  return c.transport.json({ method: 'GET', path: `/volumes/${enc(name)}` });
}

export function volumeRemove(c: EngineClient, name: string, force = false): Promise<void> {
  return c.transport.empty({ method: 'DELETE', path: `/volumes/${enc(name)}`, query: { force: force || undefined } });
}

export function volumePrune(c: EngineClient, filters?: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
  return c.transport.json({ method: 'POST', path: '/volumes/prune', query: { filters: encodeFilters(filters) } });
}

export function systemDf(c: EngineClient, types?: string[]): Promise<DiskUsage> {
  return c.transport.json({ method: 'GET', path: '/system/df', query: { type: types?.length ? types : undefined } });
}

function decodeStat(res: IncomingMessage): PathStat {
  const raw = res.headers['x-docker-container-path-stat'];
  if (typeof raw !== 'string' || !raw) throw new Error('unable to get resource stat from response: missing X-Docker-Container-Path-Stat header');
  return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as PathStat;
}

/** HEAD /containers/{id}/archive: NotFound comes back as ApiError 404 (the body of a HEAD is empty). */
export async function containerStatPath(c: EngineClient, id: string, path: string): Promise<PathStat> {
  const fullPath = await c.transport.versionedPath(`/containers/${enc(id)}/archive`, { path });
  const res = await c.transport.rawRequest({ method: 'HEAD', path: '', fullPath });
  res.resume();
  const status = res.statusCode ?? 500;
  if (status === 404) throw new ApiError(404, `Could not find the file ${path} in container ${id}`);
  if (status >= 400) throw new ApiError(status, `${status} error statting ${path} in container ${id}`);
  return decodeStat(res);
}

/** GET /containers/{id}/archive: the stat and the tar stream. */
export async function copyFromContainer(c: EngineClient, id: string, path: string): Promise<{ stat: PathStat; stream: Readable }> {
  const res = await c.transport.request({ method: 'GET', path: `/containers/${enc(id)}/archive`, query: { path } });
  return { stat: decodeStat(res), stream: res };
}

/** PUT /containers/{id}/archive: extracts a tar into the directory `path`. */
export async function copyToContainer(c: EngineClient, id: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
  const res = await c.transport.request({
    method: 'PUT', path: `/containers/${enc(id)}/archive`, body: tar, headers: { 'Content-Type': 'application/x-tar' },
    query: { path, noOverwriteDirNonDir: opts.noOverwriteDirNonDir || undefined, copyUIDGID: opts.copyUIDGID || undefined },
  });
  await readAll(res);
}
