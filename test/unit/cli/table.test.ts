import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, ImageSummary } from '../../../src/client';
import { displayablePorts, formatContainers, goTimeString } from '../../../src/cli/formatters/containers';
import { formatHistory, formatImages } from '../../../src/cli/formatters/images';
import { ellipsis, tabwrite } from '../../../src/cli/formatters/table';
import { formatEvent } from '../../../src/cli/commands/system/events';

const NOW = Date.UTC(2026, 10, 29, 3, 45, 0);
const T = (secondsAgo: number) => NOW / 1000 - secondsAgo;

test('tabwrite pads cells like text/tabwriter(minwidth 10, padding 3)', () => {
  assert.equal(tabwrite('A\tBB\tC\nlonger-cell\tx\ty\n'), 'A             BB        C\nlonger-cell   x         y\n');
});

test('ellipsis cuts to the width with …', () => {
  assert.equal(ellipsis("sh -c 'echo out; echo err'", 20), "sh -c 'echo out; ec…");
  assert.equal(ellipsis('short', 20), 'short');
});

const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  Id: '3fd73d68ec93a5a8c6ed5b7d5fd5cd3b4b44a80ba4c0dc4b32a2dc11c3e5e0a1', Names: ['/t1'], Image: 'busybox', ImageID: 'sha256:0ef7',
  Command: "sh -c 'echo out; echo err >&2; exit 3'", Created: T(65), Ports: [], Labels: { a: 'b' }, State: 'exited',
  Status: 'Exited (3) 4 minutes ago', ...over,
});

test('docker ps table: columns, truncation, quoting, "ago" durations', () => {
  const out = formatContainers([
    container({}),
    container({ Id: 'ab'.repeat(32), Names: ['/web', '/other/alias'], Image: 'sha256:' + 'cd'.repeat(32), Command: 'sleep 100', Created: T(3), State: 'running', Status: 'Up 3 seconds', Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }] }),
  ], { format: '', quiet: false, trunc: true, size: false, now: NOW });
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], 'CONTAINER ID   IMAGE          COMMAND                  CREATED              STATUS                     PORTS                  NAMES');
  assert.equal(lines[1], '3fd73d68ec93   busybox        "sh -c \'echo out; ec…"   About a minute ago   Exited (3) 4 minutes ago                          t1');
  assert.equal(lines[2], 'abababababab   cdcdcdcdcdcd   "sleep 100"              3 seconds ago        Up 3 seconds               0.0.0.0:8080->80/tcp   web');
});

test('docker ps -q, --no-trunc and -s', () => {
  const c = container({ SizeRw: 0, SizeRootFs: 1982256 });
  assert.equal(formatContainers([c], { format: '', quiet: true, trunc: true, size: false }), '3fd73d68ec93\n');
  assert.equal(formatContainers([c], { format: '', quiet: true, trunc: false, size: false }), `${c.Id}\n`);
  const s = formatContainers([c], { format: '', quiet: false, trunc: true, size: true, now: NOW }).split('\n');
  assert.match(s[0], /NAMES {5}SIZE$/);
  assert.match(s[1], /t1 {8}0B \(virtual 1\.98MB\)$/);
});

test('docker ps --format json: sorted keys, docker\'s field set', () => {
  const out = formatContainers([container({ Command: 'a && b <c>' })], { format: 'json', quiet: false, trunc: true, size: false, now: NOW });
  const obj = JSON.parse(out);
  assert.deepEqual(Object.keys(obj), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
  assert.equal(obj.Labels, 'a=b');
  assert.equal(obj.CreatedAt, goTimeString(T(65)));
  assert.ok(out.includes('a \\u0026\\u0026 b \\u003cc\\u003e'), 'HTML characters escaped as Go does');
});

test('displayablePorts groups ranges and keeps unpublished ports', () => {
  assert.equal(displayablePorts([
    { IP: '0.0.0.0', PrivatePort: 8080, PublicPort: 80, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 8081, PublicPort: 81, Type: 'tcp' },
    { PrivatePort: 53, Type: 'udp' },
    { IP: '::', PrivatePort: 8080, PublicPort: 80, Type: 'tcp' },
  ]), '53/udp, 0.0.0.0:80->8080/tcp, [::]:80->8080/tcp, 0.0.0.0:81->8081/tcp');
  assert.equal(displayablePorts([
    { IP: '0.0.0.0', PrivatePort: 81, PublicPort: 81, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 80, Type: 'tcp' },
    { PrivatePort: 9000, Type: 'tcp' },
    { PrivatePort: 9001, Type: 'tcp' },
    { PrivatePort: 9003, Type: 'tcp' },
  ]), '9000-9001/tcp, 0.0.0.0:80-81->80-81/tcp, 9003/tcp');
});

const image = (over: Partial<ImageSummary>): ImageSummary => ({
  Id: 'sha256:0ef705e390540bbf94e6e1a3573d3489beaceb4ae40192304a37db0797f345b8', ParentId: '', RepoTags: ['busybox:latest'],
  RepoDigests: [], Created: T(420), Size: 1982256, SharedSize: -1, Labels: null, Containers: -1, ...over,
});

test('docker images: a row per tag, <none> for dangling, sizes and ids', () => {
  const out = formatImages([image({ RepoTags: ['busybox:latest', 'localhost:5000/bb:v1'] }), image({ Id: 'sha256:' + 'ab'.repeat(32), RepoTags: [], Created: T(7200), Size: 4260000 })], { format: '', quiet: false, trunc: true, digests: false }, NOW);
  assert.equal(out, [
    'REPOSITORY          TAG       IMAGE ID       CREATED         SIZE',
    'busybox             latest    0ef705e39054   7 minutes ago   1.98MB',
    'localhost:5000/bb   v1        0ef705e39054   7 minutes ago   1.98MB',
    '<none>              <none>    abababababab   2 hours ago     4.26MB',
    '',
  ].join('\n'));
  const d = formatImages([image({ RepoDigests: ['busybox@sha256:abc'] })], { format: '', quiet: false, trunc: true, digests: true }, NOW);
  assert.equal(d, 'REPOSITORY   TAG       DIGEST       IMAGE ID       CREATED         SIZE\nbusybox      latest    sha256:abc   0ef705e39054   7 minutes ago   1.98MB\n');
  assert.equal(formatImages([image({})], { format: '', quiet: true, trunc: false, digests: false }), `${image({}).Id}\n`);
});

test('docker history: human and raw, truncation, <missing>', () => {
  const items = [
    { Id: 'sha256:0ef705e390540bbf94e6e1a3573d3489beaceb4ae40192304a37db0797f345b8', Created: T(420), CreatedBy: '/bin/sh -c #(nop) ADD file:0123456789abcdef in / ', Tags: ['busybox:latest'], Size: 1982256, Comment: 'Imported from -' },
    { Id: '<missing>', Created: T(420), CreatedBy: '', Tags: null, Size: 0, Comment: '' },
  ];
  const out = formatHistory(items, { format: '', quiet: false, trunc: true, human: true }, NOW).split('\n');
  assert.deepEqual(out, [
    'IMAGE          CREATED         CREATED BY                                      SIZE      COMMENT',
    '0ef705e39054   7 minutes ago   /bin/sh -c #(nop) ADD file:0123456789abcdef …   1.98MB    Imported from -',
    '<missing>      7 minutes ago                                                   0B        ',
    '',
  ]);
  const raw = formatHistory(items, { format: '', quiet: false, trunc: false, human: false }, NOW).split('\n');
  assert.match(raw[0], /CREATED AT/);
  assert.ok(raw[1].includes('2026-11-29T03:38:00Z'));
  assert.ok(raw[1].includes('1982256'));
});

test('events print like docker: RFC3339 with nanoseconds, sorted attributes', () => {
  const line = formatEvent({ Type: 'container', Action: 'die', Actor: { ID: 'abc', Attributes: { name: 'x', exitCode: '0' } }, scope: 'local', time: 1795924039, timeNano: 1795924039006982400, timeNanoExact: 1795924039006982420n });
  assert.equal(line, '2026-11-29T03:47:19.006982420Z container die abc (exitCode=0, name=x)\n');
});
