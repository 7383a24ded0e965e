/** Restart policies, healthchecks and --init through berth. */
import { runScenarios } from '../../compat/lib/suite';
import { policiesScenarios } from './policies-scenarios';

runScenarios('pol-berth', 'berth', [['restart policies, healthchecks, init', policiesScenarios]]);
