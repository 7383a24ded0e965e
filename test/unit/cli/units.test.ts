import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, formatG, getTimestamp, humanDuration, humanSize, humanSizeWithPrecision, parseGoDuration, ramInBytes } from '../../../src/cli/formatters/units';

test('humanDuration is go-units HumanDuration', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [0, 'Less than a second'], [999, 'Less than a second'], [1 * s, '1 second'], [2 * s, '2 seconds'], [59 * s, '59 seconds'],
    [60 * s, 'About a minute'], [119 * s, 'About a minute'], [120 * s, '2 minutes'], [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'], [89 * 60 * s, 'About an hour'], [90 * 60 * s, '2 hours'], [47 * 3600 * s, '47 hours'],
    [48 * 3600 * s, '2 days'], [13 * 86400 * s, '13 days'], [14 * 86400 * s, '2 weeks'], [59 * 86400 * s, '8 weeks'],
    [60 * 86400 * s, '2 months'], [729 * 86400 * s, '24 months'], [731 * 86400 * s, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('sizes are go-units HumanSizeWithPrecision / HumanSize / BytesSize', () => {
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSizeWithPrecision(999, 3), '999B');
  assert.equal(humanSizeWithPrecision(1000, 3), '1kB');
  assert.equal(humanSizeWithPrecision(1920, 3), '1.92kB');
  assert.equal(humanSizeWithPrecision(1982256, 3), '1.98MB');
  assert.equal(humanSizeWithPrecision(4260000, 3), '4.26MB');
  assert.equal(humanSizeWithPrecision(123456789, 3), '123MB');
  assert.equal(humanSizeWithPrecision(999999, 3), '1e+03kB');
  assert.equal(humanSize(1234567), '1.235MB');
  assert.equal(bytesSize(25277095936), '23.54GiB');
  assert.equal(formatG(0.5, 3), '0.5');
});

test('ramInBytes parses docker memory sizes (binary units)', () => {
  assert.equal(ramInBytes('64m'), 64 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('1.5GB'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('512'), 512);
  assert.equal(ramInBytes('10 KiB'), 10240);
  assert.throws(() => ramInBytes('lots'), /invalid size/);
});

test('Go durations and docker timestamps', () => {
  assert.equal(parseGoDuration('42m'), 42 * 60000);
  assert.equal(parseGoDuration('1h30m'), 90 * 60000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('-2s'), -2000);
  assert.equal(parseGoDuration('2013-01-02'), undefined);
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  assert.equal(getTimestamp('10m', now), `${now / 1000 - 600}.000000000`);
  assert.equal(getTimestamp('2013-01-02T13:23:37Z', now), '1357133017.000000000');
  assert.equal(getTimestamp('2013-01-02', now), '1357084800.000000000');
  assert.equal(getTimestamp('1357133017', now), '1357133017');
});
