import type { EventBus } from '../../../engine/events';

/** What the system routes need from the engine. */
export interface SystemBackend {
  events: EventBus;
  /** GET /info body. */
  info(): Promise<Record<string, unknown>>;
  /** GET /version body. */
  version(): Promise<Record<string, unknown>>;
}
