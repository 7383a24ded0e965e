import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { contains, formatCidr, macFor, overlaps, parseCidr, parseIp, parseProcRoutes, pickSubnet } from '../../../src/network/ipv4';
import { portRequests, allocatePorts } from '../../../src/network/ports';
import { renderAll, renderPortsAdd, renderPortsRemove, parseSaved } from '../../../src/network/rules';
import { networkFromBody, predefined } from '../../../src/network/config';
import { filterNetworks } from '../../../src/network/filters';
import { plugCommands } from '../../../src/network/sandbox';
import type { NetworkRecord } from '../../../src/network/types';
import { BerthError } from '../../../src/errdefs';

const NOW = '2026-01-01T00:00:00.000000000Z';
const net = (over: Partial<NetworkRecord> = {}): NetworkRecord => ({
  ...predefined('null', NOW, 'a'.repeat(64)), name: 'n1', driver: 'bridge', subnet: '10.1.0.0/24', gateway: '10.1.0.1',
  bridge: 'br-aaaaaaaaaaaa', icc: true, masquerade: true, mtu: 1500, hostBindingIpv4: '0.0.0.0', ...over,
});

function kindOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return e instanceof BerthError ? `${e.kind}: ${e.message}` : String(e); }
  return 'ok';
}

describe('ipv4', () => {
  test('cidrs', () => {
    assert.equal(formatCidr(parseCidr('10.1.2.3/16')!), '10.1.0.0/16');
    assert.equal(parseCidr('10.1.2.3/33'), undefined);
    assert.equal(parseIp('256.1.1.1'), undefined);
    assert.ok(contains(parseCidr('10.1.0.0/16')!, parseIp('10.1.255.254')!));
    assert.ok(overlaps(parseCidr('10.0.0.0/8')!, parseCidr('10.9.0.0/16')!));
    assert.ok(!overlaps(parseCidr('10.1.0.0/16')!, parseCidr('10.2.0.0/16')!));
    assert.equal(macFor(parseIp('172.17.0.2')!), '02:42:ac:11:00:02');
  });
  test('a free subnet avoids routes and networks', () => {
    const routes = parseProcRoutes('Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nbr0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\neth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\n');
    assert.deepEqual(routes.map(formatCidr), ['172.17.0.0/16']);
    const got = pickSubnet([{ base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/15', size: 16 }], [...routes, parseCidr('172.18.0.0/16')!]);
    assert.equal(formatCidr(got!), '172.19.0.0/16');
  });
});

describe('network create checks', () => {
  const pick = () => parseCidr('172.20.0.0/16');
  test('defaults and options', () => {
    const n = networkFromBody({ Name: 'x', Options: { 'com.docker.network.bridge.name': 'mybr', 'com.docker.network.bridge.enable_icc': 'false' } }, [], pick, NOW);
    assert.equal(n.subnet, '172.20.0.0/16');
    assert.equal(n.gateway, '172.20.0.1');
    assert.equal(n.bridge, 'mybr');
    assert.equal(n.icc, false);
  });
  test("errors as dockerd's", () => {
    assert.equal(kindOf(() => networkFromBody({ Name: 'n1' }, [net()], pick, NOW)), 'Conflict: network with name n1 already exists');
    assert.match(kindOf(() => networkFromBody({ Name: 'y', IPAM: { Config: [{ Subnet: '10.1.0.128/25' }] } }, [net()], pick, NOW)), /^Forbidden: invalid pool request: Pool overlaps/);
    assert.match(kindOf(() => networkFromBody({ Name: 'y', Driver: 'macvlan' }, [], pick, NOW)), /^NotFound: plugin "macvlan" not found/);
    assert.match(kindOf(() => networkFromBody({ Name: 'y', IPAM: { Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.6.0.1' }] } }, [], pick, NOW)), /^InvalidParameter: [^]*does not contain gateway/);
    assert.match(kindOf(() => networkFromBody({ Name: 'y', EnableIPv6: true }, [], pick, NOW)), /^NotImplemented/);
  });
});

describe('ports', () => {
  test('docker forms', () => {
    const reqs = portRequests({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostIp: '', HostPort: '' }], '53/udp': [{ HostPort: '5300-5310' }] }, PublishAllPorts: true }, { ExposedPorts: { '443/tcp': {}, '80/tcp': {} } });
    assert.deepEqual(reqs.map((r) => `${r.proto}/${r.containerPort} ${r.hostIp}:${r.from}-${r.to}`).sort(),
      ['tcp/443 :0-0', 'tcp/80 127.0.0.1:8080-8080', 'tcp/80 :0-0', 'udp/53 :5300-5310'].sort());
  });
  test('already allocated', async () => {
    const reqs = portRequests({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18999' }] } }, {});
    await assert.rejects(allocatePorts(reqs, new Set(['tcp/0.0.0.0/18999']), '0.0.0.0'), /Bind for 127\.0\.0\.1:18999 failed: port is already allocated/);
    const got = await allocatePorts(reqs, new Set(['udp/0.0.0.0/18999']), '0.0.0.0');
    assert.equal(got[0].hostPort, 18999);
  });
});

describe('rules', () => {
  test('full render: NAT, isolation, icc, ports', () => {
    const text = renderAll([net(), net({ id: 'b'.repeat(64), name: 'n2', bridge: 'br-b', subnet: '10.2.0.0/24', icc: false, internal: true })],
      [{ containerId: 'c'.repeat(64), ip: '10.1.0.2', bridge: 'br-aaaaaaaaaaaa', ports: [{ proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 }] }],
      { installJumps: true, existing: { nat: ['BERTH-P-dddddddddddd'], filter: [] } });
    assert.match(text, /-A BERTH-POSTROUTING -s 10\.1\.0\.0\/24 ! -o br-aaaaaaaaaaaa -j MASQUERADE/);
    assert.doesNotMatch(text, /-s 10\.2\.0\.0\/24 ! -o br-b -j MASQUERADE/);
    assert.match(text, /-A BERTH-FORWARD -i br-b -o br-b -j DROP/);
    assert.match(text, /-A BERTH-ISOLATION-STAGE-2 -o br-aaaaaaaaaaaa -j DROP/);
    assert.match(text, /-A BERTH-P-cccccccccccc -d 127\.0\.0\.1\/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.1\.0\.2:80/);
    assert.match(text, /-X BERTH-P-dddddddddddd/);
    assert.match(text, /-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH/);
  });
  test('per-container chains and parsing saved state', () => {
    const add = renderPortsAdd({ containerId: 'c'.repeat(64), ip: '10.1.0.2', bridge: 'br0', ports: [{ proto: 'udp', containerPort: 53, hostIp: '0.0.0.0', hostPort: 5353 }] });
    assert.match(add, /-A BERTH-P-cccccccccccc -p udp -m udp --dport 5353 -j DNAT --to-destination 10\.1\.0\.2:53/);
    assert.match(renderPortsRemove('c'.repeat(64)), /-X BERTH-P-cccccccccccc/);
    const saved = parseSaved('*nat\n:BERTH - [0:0]\n:BERTH-P-x - [0:0]\n-A PREROUTING -m addrtype --dst-type LOCAL -j BERTH\n-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH\n-A POSTROUTING -j BERTH-POSTROUTING\n*filter\n-A FORWARD -j BERTH-FORWARD\n');
    assert.deepEqual(saved.chains.nat, ['BERTH', 'BERTH-P-x']);
    assert.equal(saved.jumps, true);
  });
  test('two spawns plug a container: unshare + ip -batch inside, ip -batch outside', () => {
    const [inner, host] = plugCommands('/run/x/netns/c1', [{ net: net(), veth: 'veth1234567', ifname: 'eth0', ip: '10.1.0.2', mac: '02:42:0a:01:00:02', primary: true }], true, '/proc/1/ns/net');
    assert.deepEqual([inner.cmd, ...inner.args], ['unshare', '--net=/run/x/netns/c1', 'ip', '-batch', '-']);
    assert.equal(inner.input, 'link set lo up\nlink add name eth0 mtu 1500 address 02:42:0a:01:00:02 type veth peer name veth1234567 mtu 1500 netns /proc/1/ns/net\naddr add 10.1.0.2/24 dev eth0\nlink set eth0 up\nroute add default via 10.1.0.1 dev eth0\n');
    assert.deepEqual([host.cmd, ...host.args, host.input], ['ip', '-batch', '-', 'link set veth1234567 master br-aaaaaaaaaaaa up\nlink set dev veth1234567 type bridge_slave hairpin on\n']);
    const [join] = plugCommands('/proc/42/ns/net', [{ net: net(), veth: 'veth7654321', ifname: 'eth1', ip: '10.1.0.3', mac: '02:42:0a:01:00:03', primary: false }], false, '/proc/1/ns/net');
    assert.equal(join.cmd, 'nsenter');
    assert.doesNotMatch(join.input, /route add|lo up/);
  });
});

describe('filters', () => {
  test('type, name, label, dangling; unknown keys rejected', () => {
    const nets = [net(), net({ id: 'b'.repeat(64), name: 'bridge', isDefault: true }), predefined('host', NOW, 'c'.repeat(64)), net({ id: 'd'.repeat(64), name: 'lab', labels: { a: 'b' } })];
    const names = (f: Record<string, string[]>) => filterNetworks(nets, new Map(Object.entries(f)), () => false).map((n) => n.name);
    assert.deepEqual(names({ type: ['custom'] }), ['n1', 'lab']);
    assert.deepEqual(names({ type: ['builtin'] }), ['bridge', 'host']);
    assert.deepEqual(names({ label: ['a=b'] }), ['lab']);
    assert.deepEqual(names({ name: ['n'] }), ['n1']);
    assert.deepEqual(names({ dangling: ['true'] }), ['n1', 'lab']);
    assert.match(kindOf(() => names({ bogus: ['x'] })), /invalid filter 'bogus'/);
  });
});
