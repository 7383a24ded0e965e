import { randomInt } from 'node:crypto';
import { invalidParameter } from '../errdefs';

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Checks a user-given name and returns it with Docker's leading slash. */
export function normalizeName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw invalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

// Our own lists (adjective_scientist, like Docker's generated names).
const LEFT = [
  'admiring', 'agile', 'amazing', 'bold', 'brave', 'busy', 'calm', 'clever', 'cool', 'crisp', 'daring', 'eager',
  'elegant', 'epic', 'fervent', 'focused', 'friendly', 'gentle', 'happy', 'hopeful', 'jolly', 'keen', 'kind',
  'lucid', 'modest', 'nifty', 'noble', 'optimistic', 'patient', 'quiet', 'quirky', 'relaxed', 'serene', 'sharp',
  'silly', 'stoic', 'sweet', 'tender', 'trusting', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous',
];
const RIGHT = [
  'agnesi', 'babbage', 'bell', 'bohr', 'cerf', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'faraday',
  'fermat', 'feynman', 'galileo', 'gauss', 'hamilton', 'hopper', 'hypatia', 'kepler', 'knuth', 'lamport',
  'liskov', 'lovelace', 'maxwell', 'meitner', 'newton', 'noether', 'pascal', 'planck', 'ritchie', 'shannon',
  'thompson', 'torvalds', 'turing', 'wiles', 'wozniak', 'yalow',
];

/** A random name like "admiring_turing"; `retry` > 0 appends a digit as Docker does. */
export function generateName(retry = 0): string {
  const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}
