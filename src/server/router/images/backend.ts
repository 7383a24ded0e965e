import type { ImageRecord, ImportOptions } from '../../../images/types';

/**
 * What the image routes need from the engine. LocalImageService (src/images/service.ts)
 * implements it; the routes know nothing else about images.
 */
export type DeleteResponseItem = { Untagged?: string; Deleted?: string };

export interface ImageRoutesBackend {
  import(opts: ImportOptions, progress?: (line: object) => void): Promise<ImageRecord>;
  /** `docker image inspect` shape for the request's API version. NotFound "No such image: x". */
  inspectImage(ref: string, apiVersion: string): Promise<Record<string, unknown>>;
  listImages(opts: { all?: boolean; filters?: Map<string, string[]>; apiVersion: string; sharedSize?: boolean }): Record<string, unknown>[];
  history(ref: string): { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[];
  tag(source: string, repo: string, tag?: string): void;
  remove(ref: string, opts: { force?: boolean; noprune?: boolean }): DeleteResponseItem[];
  pruneImages(filters: Map<string, string[]>): Promise<{ ImagesDeleted: DeleteResponseItem[] | null; SpaceReclaimed: number }>;
}
