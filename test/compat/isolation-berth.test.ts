/** Isolation defaults and flags through berth. */
import { runScenarios } from './lib/suite';
import { isolationScenarios } from './isolation-scenarios';

runScenarios('iso-berth', 'berth', [['isolation', isolationScenarios]]);
