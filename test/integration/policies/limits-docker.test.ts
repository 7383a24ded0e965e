/** Limits, update, stats, pause, top, diff, export and commit through the real docker CLI. */
import { runScenarios } from '../../compat/lib/suite';
import { limitsScenarios } from './limits-scenarios';

runScenarios('lim-docker', 'docker', [['limits and container operations', limitsScenarios]]);
