/**
 * What the volume routes need from the engine; VolumeService (src/volumes/service.ts)
 * provides it. Errors come as errdefs (NotFound "get x: no such volume", Conflict "remove x:
 * volume is in use - [ids]").
 */
export interface VolumeRoutesBackend {
  list(filters: Map<string, string[]>): Record<string, unknown>[];
  inspect(name: string): Record<string, unknown>;
  create(body: { Name?: string; Driver?: string; DriverOpts?: Record<string, string> | null; Labels?: Record<string, string> | null }): Promise<Record<string, unknown>>;
  remove(name: string, opts: { force?: boolean }): Promise<void>;
  prune(filters: Map<string, string[]>): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>;
}
