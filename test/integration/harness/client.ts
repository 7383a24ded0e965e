/**
 * The typed Engine API client (src/client) pointed at a test daemon, for integration tests.
 * Kept out of index.ts so that compat tests (CLI only) do not load src/ at all.
 */
import { EngineClient } from '../../../src/client';
import type { TestDaemon } from './daemon';

export function engineClient(daemon: TestDaemon): EngineClient {
  return new EngineClient(daemon.host);
}
