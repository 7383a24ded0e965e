import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, splitWords } from '../../../src/images/changes';
import { emptyContainerConfig } from '../../../src/images/import';
import { isInvalidParameter } from '../../../src/errdefs';

const apply = (...changes: string[]) => applyChanges(emptyContainerConfig(), changes);

test('changes: CMD and ENTRYPOINT in exec and shell form', () => {
  assert.deepEqual(apply('CMD ["/bin/sh", "-c", "echo hi"]').Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(apply('CMD echo $HOME hi').Cmd, ['/bin/sh', '-c', 'echo $HOME hi']);
  assert.deepEqual(apply('cmd ["sh"]').Cmd, ['sh'], 'instructions are case-insensitive');
  const e = apply('CMD ["a"]', 'ENTRYPOINT ["/init"]');
  assert.deepEqual(e.Entrypoint, ['/init']);
  assert.deepEqual(e.Cmd, ['a'], 'a CMD given before ENTRYPOINT stays');
  assert.equal(apply('ENTRYPOINT /init --x').Entrypoint?.join(' '), '/bin/sh -c /init --x');
  assert.equal(apply('ENTRYPOINT ["/init"]').Cmd, null);
  // not valid JSON: shell form, as Docker does
  assert.deepEqual(apply('CMD [not json').Cmd, ['/bin/sh', '-c', '[not json']);
});

test('changes: ENV and LABEL, both forms, quoting and substitution', () => {
  const c = apply('ENV A=1 B="two words"', 'ENV C ${A}-legacy value', 'ENV A=3', "LABEL x=y 'a b'=c", 'LABEL z $B');
  assert.deepEqual(c.Env, ['A=3', 'B=two words', 'C=1-legacy value']);
  assert.deepEqual(c.Labels, { x: 'y', 'a b': 'c', z: 'two words' });
  assert.deepEqual(apply('ENV P=/a', 'ENV P=$P:/b').Env, ['P=/a:/b']);
  assert.deepEqual(apply('ENV X=${UNSET:-dflt} Y=\\$lit').Env, ['X=dflt', 'Y=$lit']);
  assert.throws(() => apply('ENV =x'), (e) => isInvalidParameter(e));
});

test('changes: EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD', () => {
  const c = apply('EXPOSE 80 53/udp 8000-8001', 'VOLUME ["/data", "/logs"]', 'VOLUME /x /y', 'USER nobody:nogroup',
    'WORKDIR /app', 'WORKDIR sub/../src', 'STOPSIGNAL SIGINT', 'ONBUILD RUN make');
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} });
  assert.deepEqual(c.Volumes, { '/data': {}, '/logs': {}, '/x': {}, '/y': {} });
  assert.equal(c.User, 'nobody:nogroup');
  assert.equal(c.WorkingDir, '/app/src');
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.OnBuild, ['RUN make']);
  assert.throws(() => apply('EXPOSE http'), /Invalid containerPort: http/);
  assert.throws(() => apply('STOPSIGNAL SIGNOPE'), /Invalid signal: SIGNOPE/);
  assert.throws(() => apply('VOLUME [""]'), /VOLUME specified can not be an empty string/);
});

test('changes: anything else is refused with Docker message', () => {
  for (const [line, msg] of [['RUN rm -rf /', 'run is not a valid change command'], ['COPY a b', 'copy is not a valid change command'],
    ['FROM busybox', 'from is not a valid change command'], ['MAINTAINER me', 'maintainer is not a valid change command']]) {
    assert.throws(() => apply(line), (e) => isInvalidParameter(e) && (e as Error).message === msg, line);
  }
});

test('changes: the base config is not modified', () => {
  const base = emptyContainerConfig();
  applyChanges(base, ['ENV A=1', 'LABEL a=b']);
  assert.equal(base.Env, null);
  assert.equal(base.Labels, null);
});

test('words: quotes and escapes as the Dockerfile lexer', () => {
  const env = new Map([['V', 'val']]);
  assert.deepEqual(splitWords(`a "b c" 'd $V' "$V" \\"e`, env), ['a', 'b c', 'd $V', 'val', '"e']);
  assert.throws(() => splitWords('"open', env), /double-quote/);
});
