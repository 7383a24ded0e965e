/** The same CLI scenarios through our CLI, `node bin/berth -H unix://<socket>`. */
import { runScenarios } from './lib/suite';
import { allScenarios } from './scenarios';

runScenarios('cli-berth', 'berth', allScenarios);
