import { notFound, notImplemented, unavailable } from '../errdefs';
import type { Router } from './router';

/**
 * Engine API endpoints Berth does not serve yet. Each answers 501 with a clear message
 * (never a 200 that does nothing); docs/compat.md lists them as missing. Routes registered
 * earlier win, so an endpoint leaves this list simply by being implemented.
 */
export const UNIMPLEMENTED: [string, string][] = [
  ['POST', '/build/cancel'], ['POST', '/session'],
  ['GET', '/images/search'],
  ['PUT', '/volumes/{name}'],
  ['GET', '/plugins'], ['GET', '/plugins/privileges'], ['POST', '/plugins/pull'], ['DELETE', '/plugins/{name:.*}'],
  ['POST', '/plugins/{name:.*}/enable'], ['POST', '/plugins/{name:.*}/disable'], ['POST', '/plugins/{name:.*}/upgrade'],
  ['POST', '/plugins/create'], ['POST', '/plugins/{name:.*}/push'], ['POST', '/plugins/{name:.*}/set'], ['GET', '/images/{name:.*}/attestations'],
  ['GET', '/swarm'], ['POST', '/swarm/init'], ['POST', '/swarm/join'], ['POST', '/swarm/leave'], ['POST', '/swarm/update'],
  ['GET', '/swarm/unlockkey'], ['POST', '/swarm/unlock'], ['GET', '/nodes'], ['GET', '/nodes/{id}'], ['DELETE', '/nodes/{id}'],
  ['POST', '/nodes/{id}/update'], ['GET', '/services'], ['POST', '/services/create'], ['GET', '/services/{id}'],
  ['DELETE', '/services/{id}'], ['POST', '/services/{id}/update'], ['GET', '/services/{id}/logs'], ['GET', '/tasks'],
  ['GET', '/tasks/{id}'], ['GET', '/tasks/{id}/logs'], ['GET', '/secrets'], ['POST', '/secrets/create'],
  ['GET', '/secrets/{id}'], ['DELETE', '/secrets/{id}'], ['POST', '/secrets/{id}/update'], ['GET', '/configs'],
  ['POST', '/configs/create'], ['GET', '/configs/{id}'], ['DELETE', '/configs/{id}'], ['POST', '/configs/{id}/update'],
];

const SWARM = /^\/(swarm|nodes|services|tasks|secrets|configs)/;

/**
 * Lookups of objects Berth cannot hold yet (it has no plugins) answer
 * the truth, 404, so that `docker inspect NAME`, which probes each object type in turn,
 * reports "No such object" as it does against dockerd.
 */
export function registerEmptyLookups(router: Router): void {
  router.get('/plugins/{name:.*}/json', (ctx) => { throw notFound(`plugin "${ctx.params.name}" not found`); });
}

export function registerUnimplemented(router: Router): void {
  for (const [method, pattern] of UNIMPLEMENTED) {
    router.add(method, pattern, (ctx) => {
      if (SWARM.test(ctx.path)) {
        // dockerd's answer on a node that is not in a swarm, which clients know how to read.
        throw unavailable('This node is not a swarm manager. Berth does not support swarm mode.');
      }
      throw notImplemented(`${method} ${pattern.replace(/\{(\w+)(?::[^}]+)?\}/g, '{$1}')} is not implemented yet in berth`);
    });
  }
}
