/** Every CLI scenario group, in the order the runner files register them. */
import type { Scenario } from '../lib/suite';
import { imageScenarios } from './images';

export const allScenarios: Array<[string, Scenario]> = [
  ['images', imageScenarios],
];
