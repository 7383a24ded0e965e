/** Every CLI scenario group, in the order the runner files register them. */
import type { Scenario } from '../lib/suite';
import { execAttachEventsScenarios } from './exec-attach-events';
import { imageScenarios } from './images';
import { lifecycleScenarios } from './lifecycle';
import { psLogsScenarios } from './ps-logs';
import { runScenarios as runFlagScenarios } from './run';

export const allScenarios: Array<[string, Scenario]> = [
  ['images', imageScenarios],
  ['run', runFlagScenarios],
  ['lifecycle', lifecycleScenarios],
  ['ps and logs', psLogsScenarios],
  ['exec, attach and events', execAttachEventsScenarios],
];
