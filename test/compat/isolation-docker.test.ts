/** Isolation defaults and flags through the real docker CLI. */
import { runScenarios } from './lib/suite';
import { isolationScenarios } from './isolation-scenarios';

runScenarios('iso-docker', 'docker', [['isolation', isolationScenarios]]);
