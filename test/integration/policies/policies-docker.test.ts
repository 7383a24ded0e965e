/** Restart policies, healthchecks and --init through the real docker CLI. */
import { runScenarios } from '../../compat/lib/suite';
import { policiesScenarios } from './policies-scenarios';

runScenarios('pol-docker', 'docker', [['restart policies, healthchecks, init', policiesScenarios]]);
