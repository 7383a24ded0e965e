/**
 * Every Dockerfile fixture (test/fixtures/build) built with the real `docker build` (classic
 * builder, DOCKER_BUILDKIT=0) against berthd or, with TARGET=docker, dockerd; then the
 * builder's behaviour: cache, errors, --rm/--force-rm, stdin contexts.
 */
import { after, before, describe } from 'node:test';
import { type Cli, TestDaemon, importBusybox, makeCli, target } from '../integration/harness';
import { registerBuildBehaviour } from './build/behaviour';
import { registerFixtures } from './build/fixtures';
import { filesOf } from './build/image-snapshot';

describe(`build fixtures (docker build, classic -> ${target() === 'docker' ? 'dockerd' : 'berthd'})`, { timeout: 20 * 60_000 }, () => {
  let daemon: TestDaemon;
  let cli: Cli;
  let base: Map<string, string>;
  before(async () => {
    daemon = await TestDaemon.start({ name: 'build' });
    cli = makeCli('docker', daemon.socket);
    await importBusybox(cli);
    base = await filesOf(daemon.socket, 'busybox');
  });
  after(async () => {
    if (process.env.BERTH_TEST_DAEMON_LOG === '1' && daemon) process.stderr.write(daemon.log());
    await daemon?.stop();
  });
  registerFixtures(() => ({ daemon, cli, base }));
  registerBuildBehaviour(() => ({ daemon, cli }));
});
