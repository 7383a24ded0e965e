/** Limits, update, stats, pause, top, diff, export and commit through berth. */
import { runScenarios } from '../../compat/lib/suite';
import { limitsScenarios } from './limits-scenarios';

runScenarios('lim-berth', 'berth', [['limits and container operations', limitsScenarios]]);
