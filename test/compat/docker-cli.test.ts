/** The CLI scenarios through the real docker CLI (/usr/local/bin/docker). */
import { runScenarios } from './lib/suite';
import { allScenarios } from './scenarios';

runScenarios('cli-docker', 'docker', allScenarios);
