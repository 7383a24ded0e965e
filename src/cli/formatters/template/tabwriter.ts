// Elastic tabstops as Go's text/tabwriter computes them, in the variant the
// docker CLI vendors (cli/command/formatter/tabwriter): cell widths are
// terminal display widths (East Asian wide runes count 2), not rune counts.
//
// Cells are terminated by '\t' (or '\v'); text after the last tab on a line is
// a trailing cell that belongs to no column and is never padded. Tab-terminated
// cells in consecutive lines form a column; a column's width is
// max(minwidth, widest cell + padding). '\f' acts as a newline that also
// flushes (ends all columns). Not supported: FilterHTML and StripEscape
// (escaped segments), which the CLI never uses.

export const TabFlags = {
  FilterHTML: 1,
  StripEscape: 2,
  AlignRight: 4,
  DiscardEmptyColumns: 8,
  TabIndent: 16,
  Debug: 32,
} as const;

export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
  flags: number;
}

/** The settings the docker CLI uses for tables: NewWriter(out, 10, 1, 3, ' ', 0). */
export const DOCKER_TABLE: TabwriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ', flags: 0 };

interface Cell { text: string; width: number; htab: boolean }

/** Display width of a string, like go-runewidth's StringWidth (simplified). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += runeWidth(ch.codePointAt(0)!);
  return w;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const WIDE_RANGES: Array<[number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0],
  [0x23f3, 0x23f3], [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f],
  [0x2693, 0x2693], [0x26a1, 0x26a1], [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5],
  [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea], [0x26f2, 0x26f3], [0x26f5, 0x26f5],
  [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b], [0x2728, 0x2728],
  [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
  [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f],
  [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4], [0x17000, 0x18cff], [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f9ff], [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function runeWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (ZERO_WIDTH.test(String.fromCodePoint(cp))) return 0;
  let lo = 0; let hi = WIDE_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE_RANGES[mid];
    if (cp < a) hi = mid - 1; else if (cp > b) lo = mid + 1; else return 2;
  }
  return 1;
}

/** Align tab-separated text the way a tabwriter.Writer fed `text` then flushed would. */
export function tabwrite(text: string, opts: Partial<TabwriterOptions> = {}): string {
  const o: TabwriterOptions = { ...DOCKER_TABLE, ...opts };
  if (o.minwidth < 0 || o.tabwidth < 0 || o.padding < 0) throw new Error('negative minwidth, tabwidth, or padding');
  let flags = o.flags;
  if (o.padchar === '\t') flags &= ~TabFlags.AlignRight; // tab padding enforces left-alignment
  let out = '';
  let lines: Cell[][] = [[]];
  let cur = '';
  let widths: number[] = [];

  const padding = (textw: number, cellw: number, useTabs: boolean) => {
    if (o.padchar === '\t' || useTabs) {
      if (o.tabwidth === 0) return;
      const w = Math.ceil(cellw / o.tabwidth) * o.tabwidth;
      out += '\t'.repeat(Math.ceil((w - textw) / o.tabwidth));
      return;
    }
    out += o.padchar.repeat(Math.max(cellw - textw, 0));
  };

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i];
      let useTabs = (flags & TabFlags.TabIndent) !== 0;
      line.forEach((c, j) => {
        if (j > 0 && flags & TabFlags.Debug) out += '|';
        if (c.text.length === 0) {
          if (j < widths.length) padding(c.width, widths[j], useTabs);
        } else {
          useTabs = false;
          if ((flags & TabFlags.AlignRight) === 0) {
            out += c.text;
            if (j < widths.length) padding(c.width, widths[j], false);
          } else {
            if (j < widths.length) padding(c.width, widths[j], false);
            out += c.text;
          }
        }
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let i = line0;
    for (; i < line1; i++) {
      if (column >= lines[i].length - 1) continue;
      // a cell exists in this column: print the lines before this block
      writeLines(line0, i);
      line0 = i;
      let width = o.minwidth;
      let discardable = true;
      for (; i < line1; i++) {
        const line = lines[i];
        if (column >= line.length - 1) break;
        const c = line[column];
        width = Math.max(width, c.width + o.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && flags & TabFlags.DiscardEmptyColumns) width = 0;
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
    }
    writeLines(line0, line1);
  };

  const terminateCell = (htab: boolean): number => {
    const line = lines[lines.length - 1];
    line.push({ text: cur, width: displayWidth(cur), htab });
    cur = '';
    return line.length;
  };

  const flush = () => {
    if (cur.length > 0) terminateCell(false);
    format(0, lines.length);
    lines = [[]];
    widths = [];
  };

  for (const ch of text) {
    if (ch === '\t' || ch === '\v' || ch === '\n' || ch === '\f') {
      const ncells = terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        lines.push([]);
        if (ch === '\f' || ncells === 1) {
          // A line with a single cell cannot affect later lines' alignment.
          flush();
          if (ch === '\f' && flags & TabFlags.Debug) out += '---\n';
        }
      }
    } else {
      cur += ch;
    }
  }
  flush();
  return out;
}
