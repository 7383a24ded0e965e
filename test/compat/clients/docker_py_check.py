"""docker-py (Debian's python3-docker, what docker-compose v1 is built on) against a daemon.

Run by test/compat/docker-py.test.ts with the daemon's socket as the only argument; every
check is an assert, so a failure names the call. Uses the local busybox image only.
"""
import io
import sys
import tarfile
import time

import docker

c = docker.DockerClient(base_url='unix://' + sys.argv[1])
assert c.ping()
assert c.version()['ApiVersion'] >= '1.41', c.version()

out = c.containers.run('busybox', ['sh', '-c', 'echo hi; echo err >&2'], remove=True, stderr=True, network_mode='none')
assert sorted(out.split()) == [b'err', b'hi'], out
try:
    c.containers.run('busybox', ['sh', '-c', 'exit 3'], remove=True, network_mode='none')
    raise AssertionError('no ContainerError')
except docker.errors.ContainerError as e:
    assert e.exit_status == 3, e

ct = c.containers.run('busybox', ['sh', '-c', 'for i in 1 2 3; do echo line$i; done; sleep 300'], detach=True,
                      name='dpy1', environment={'A': 'b'}, labels={'x': 'y'}, network_mode='none')
deadline = time.time() + 10
while b'line3' not in ct.logs() and time.time() < deadline:
    time.sleep(0.1)
assert ct.logs().split() == [b'line1', b'line2', b'line3'], ct.logs()
assert [l for _, l in zip(range(2), ct.logs(stream=True, follow=True))] == [b'line1\n', b'line2\n']

r = ct.exec_run(['sh', '-c', 'echo $A; echo e >&2; exit 4'], demux=True)
assert r.exit_code == 4 and r.output == (b'b\n', b'e\n'), r
r = ct.exec_run(['id', '-u'], user='1000')
assert (r.exit_code, r.output) == (0, b'1000\n'), r
# docker-py reads the upgrade's headers through a buffered reader, then the raw socket:
# output sent together with the headers would be lost (the daemon answers the upgrade first)
for i in range(20):
    r = ct.exec_run(['echo', str(i)])
    assert (r.exit_code, r.output) == (0, b'%d\n' % i), (i, r)
r = ct.exec_run(['true'], user='nosuch')
assert r.exit_code == 126 and b'unable to find user nosuch' in r.output, r

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w') as t:
    ti = tarfile.TarInfo('f.txt')
    ti.size = 7
    t.addfile(ti, io.BytesIO(b'payload'))
assert ct.put_archive('/tmp', buf.getvalue())
bits, stat = ct.get_archive('/tmp/f.txt')
assert (stat['name'], stat['size']) == ('f.txt', 7), stat
with tarfile.open(fileobj=io.BytesIO(b''.join(bits))) as t:
    assert t.extractfile('f.txt').read() == b'payload'

ct.reload()
assert ct.status == 'running' and ct.labels == {'x': 'y'} and 'A=b' in ct.attrs['Config']['Env'], ct.attrs
assert ct.top()['Titles'][:3] == ['UID', 'PID', 'PPID'], ct.top()
stats = ct.stats(stream=False)
assert {'cpu_stats', 'precpu_stats', 'memory_stats', 'pids_stats', 'blkio_stats'} <= set(stats), stats.keys()

v = c.volumes.create('dpyvol', labels={'k': 'v'})
assert v.attrs['Driver'] == 'local' and v.attrs['Labels'] == {'k': 'v'}, v.attrs
assert [x.name for x in c.volumes.list(filters={'label': 'k=v'})] == ['dpyvol']
v.remove()

ct.pause()
ct.reload()
assert ct.status == 'paused', ct.status
ct.unpause()
ct.kill()
assert ct.wait() == {'StatusCode': 137, 'Error': None}
ct.remove()
try:
    c.containers.get('dpy1')
    raise AssertionError('removed container still found')
except docker.errors.NotFound:
    pass

img = c.images.get('busybox')
img.tag('dpy/busybox', 'v1')
assert 'dpy/busybox:v1' in c.images.get('dpy/busybox:v1').tags
c.images.remove('dpy/busybox:v1')
try:
    c.images.pull('127.0.0.1:1/nope', tag='x')
    raise AssertionError('pull from a closed port did not fail')
except docker.errors.APIError:
    pass
assert set(c.df()) >= {'Containers', 'Images', 'Volumes'}
print('docker-py: all checks passed')
