import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, formatTable, preFormat, TabFlags, tabwrite } from '../../../src/cli/formatters/template';

const rows = [
  { ID: '4c5b7b2e9d1f', Image: 'nginx:latest', Names: 'web', Status: 'Up 2 hours', Labels: { a: '1' } },
  { ID: 'a1b2c3d4e5f6', Image: 'redis', Names: 'db', Status: 'Exited (0) 5 minutes ago', Labels: {} },
];
const headers = { ID: 'CONTAINER ID', Image: 'IMAGE', Names: 'NAMES', Status: 'STATUS', Labels: 'LABELS' };

test('tabwriter: Go documentation examples', () => {
  assert.equal(tabwrite('a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n',
    { minwidth: 0, tabwidth: 8, padding: 0, padchar: '\t', flags: 0 }),
  'a\tb\tc\td\t\t.\n123\t12345\t1234567\t123456789\t.\n\n');
  assert.equal(tabwrite('a\tb\tc\td\t.\n123\t12345\t1234567\t123456789\t.\n\n',
    { minwidth: 5, tabwidth: 0, padding: 1, padchar: ' ', flags: TabFlags.AlignRight }),
  '    a     b       c         d.\n  123 12345 1234567 123456789.\n\n');
  assert.equal(tabwrite('a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n',
    { minwidth: 0, tabwidth: 0, padding: 1, padchar: '.', flags: TabFlags.AlignRight | TabFlags.Debug }),
  '....a|..b|c\n...aa|.bb|cc\n..aaa|\n.aaaa|.dddd|eeee\n');
  assert.equal(tabwrite('a\tb\taligned\t\naa\tbb\taligned\t\naaa\tbbb\tunaligned\naaaa\tbbbb\taligned\t\n',
    { minwidth: 0, tabwidth: 0, padding: 3, padchar: '-', flags: TabFlags.AlignRight | TabFlags.Debug }),
  '------a|------b|---aligned|\n-----aa|-----bb|---aligned|\n----aaa|----bbb|unaligned\n---aaaa|---bbbb|---aligned|\n');
});

test('tabwriter: columns are blocks of consecutive lines; trailing cells are not padded', () => {
  const o = { minwidth: 0, tabwidth: 8, padding: 1, padchar: '.', flags: 0 };
  assert.equal(tabwrite('a\tb\tc\naaa\tbbbb\tc\n\nx\ty\n', o), 'a...b....c\naaa.bbbb.c\n\nx.y\n');
  assert.equal(tabwrite('aaaa\tb\nc\nd\te\n', o), 'aaaa.b\nc\nd.e\n'); // a tab-less line ends the column
  assert.equal(tabwrite('a\tb', o), 'a.b'); // no final newline: text is still flushed
  assert.equal(tabwrite('x\t\ny\t\n', o), 'x.\ny.\n');
  assert.equal(tabwrite('', o), '');
  assert.equal(tabwrite('a\fbb\tc\n', o), 'a\nbb.c\n'); // formfeed: newline + flush
  assert.equal(tabwrite('a\t\tb\nccc\t\tb\n', { ...o, flags: TabFlags.DiscardEmptyColumns }), 'a...\tb\nccc.\tb\n'.replace(/\t/g, '.'));
  assert.equal(tabwrite('\tx\n\t\ty\n', { minwidth: 0, tabwidth: 4, padding: 1, padchar: ' ', flags: TabFlags.TabIndent }),
    '\tx\n\t\ty\n');
});

test('tabwriter: docker settings (minwidth 10, padding 3) and display widths', () => {
  assert.equal(tabwrite('ID\tNAME\nabc\tx\n'), 'ID        NAME\nabc       x\n');
  assert.equal(tabwrite('名前\tX\nab\tY\n'), '名前      X\nab        Y\n');
  assert.equal(tabwrite('a-very-long-cell\tX\n'), 'a-very-long-cell   X\n');
  assert.equal(displayWidth('日本語abc'), 9);
  assert.equal(displayWidth('e\u0301'), 1);
});

test('formatTable: table prefix prints a header row and aligns columns like docker', () => {
  assert.equal(formatTable('table {{.ID}}\\t{{.Image}}\\t{{.Names}}\\t{{.Status}}', rows, headers),
    'CONTAINER ID   IMAGE          NAMES     STATUS\n' +
    '4c5b7b2e9d1f   nginx:latest   web       Up 2 hours\n' +
    'a1b2c3d4e5f6   redis          db        Exited (0) 5 minutes ago\n');
  // real tab characters work too, and so does a trailing tab (cells padded)
  assert.equal(formatTable('table {{.Names}}\t{{.ID}}\t', rows, headers),
    'NAMES     CONTAINER ID   \nweb       4c5b7b2e9d1f   \ndb        a1b2c3d4e5f6   \n');
  // header only when there are no rows
  assert.equal(formatTable('table {{.ID}}\\t{{.Names}}', [], headers), 'CONTAINER ID   NAMES\n');
});

test('formatTable: header rendering uses docker header functions', () => {
  assert.equal(formatTable('table {{.Names | upper}}\\t{{json .Labels}}\\t{{truncate .ID 3}}', rows, headers),
    'NAMES     LABELS      CONTAINER ID\n' +
    'WEB       {"a":"1"}   4c5\n' +
    'DB        {}          a1b\n');
  // pad is not overridden for headers, so the header is padded like the cells
  assert.equal(formatTable('table {{pad .Names 1 1}}|', rows.slice(0, 1), headers), ' NAMES |\n web |\n');
  // unknown header keys print <no value>; a header error keeps the partial header, like docker
  assert.equal(formatTable('table {{.Names}}\\t{{.Size}}', rows.slice(0, 1), headers),
    'NAMES     <no value>\nweb       <no value>\n');
  assert.equal(formatTable('table {{.Names}}\\t{{.Labels.a "x" | upper}}', [{ Names: 'n', Labels: { a: () => 'v' } }], headers),
    'NAMES     \nn         V\n');
});

test('formatTable: plain and json formats', () => {
  assert.equal(formatTable('{{.ID}}: {{.Names}}', rows, headers), '4c5b7b2e9d1f: web\na1b2c3d4e5f6: db\n');
  assert.equal(formatTable('{{.Names}}\\n{{.Image}}', rows.slice(0, 1), headers), 'web\nnginx:latest\n');
  assert.equal(formatTable('json', rows.slice(0, 1), headers),
    '{"ID":"4c5b7b2e9d1f","Image":"nginx:latest","Names":"web","Status":"Up 2 hours","Labels":{"a":"1"}}\n');
  assert.equal(formatTable('{{.Names}}', [], headers), '');
  assert.throws(() => formatTable('{{.Names', rows, headers), /^Error: template: :1: unclosed action$/);
});

test('preFormat mirrors docker Context.preFormat', () => {
  assert.equal(preFormat('table {{.ID}}\\t{{.Names}}'), '{{.ID}}\t{{.Names}}');
  assert.equal(preFormat('  {{.ID}}  '), '{{.ID}}');
  assert.equal(preFormat('json'), '{{json .}}');
  assert.equal(preFormat('tablex'), 'x');
  assert.equal(preFormat('{{.A}}\\n'), '{{.A}}\n');
});
