/** Kept for the modules that import the shared container helpers from here. */
export { confirm, eachContainer, signalFlag, stopOptions, timeFlags } from './each';
export { kill } from './kill';
export { prune } from './prune';
export { rename } from './rename';
export { rm } from './rm';
export { restart, stop } from './stop';
export { wait } from './wait';
