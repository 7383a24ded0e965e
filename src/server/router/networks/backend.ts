import type { EndpointSettings } from '../../../api/types';

/** What the network routes need from the engine (NetworkService provides it). */
export interface NetworkBackend {
  list(filters: Map<string, string[]>): Record<string, unknown>[];
  inspect(ref: string): Record<string, unknown>;
  create(body: Record<string, unknown>): Promise<{ Id: string; Warning: string }>;
  remove(ref: string): Promise<void>;
  prune(filters: Map<string, string[]>): Promise<{ NetworksDeleted: string[] }>;
  connect(ref: string, body: { Container?: string; EndpointConfig?: EndpointSettings | null }): Promise<void>;
  disconnect(ref: string, body: { Container?: string; Force?: boolean }): Promise<void>;
}
