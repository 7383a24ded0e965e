import { StatusError } from '../command';

/**
 * Listing output the way docker's formatter package writes it: a default table through a
 * tabwriter (minwidth 10, padding 3, like `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`),
 * `json` as one JSON object per line, and anything else through the Go-template engine
 * (`table TEMPLATE` with headers, or a bare `TEMPLATE` per row).
 */

export interface Column<Row> {
  header: string;
  /** The template field name (`ID`, `Image`...), used for `--format json` and custom tables. */
  field: string;
  value: (row: Row) => string;
}

/** The slice of the Go-template engine (src/cli/formatters/template) that the CLI uses. */
interface TemplateModule {
  parseTemplate(src: string, opts?: { name?: string }): {
    execute(data: unknown): string;
    executePartial(data: unknown): { output: string; error: Error | null };
  };
  formatTable(format: string, rows: unknown[], headers: Record<string, string>): string;
  TemplateSyntaxError: new (...a: never[]) => Error;
}

function templates(): TemplateModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('./template') as TemplateModule;
  } catch (e) {
    throw new Error(`template formatting is not available in this build: ${(e as Error).message}`);
  }
}

/**
 * A --format template that failed: while parsing, or while executing (with the output
 * written before the error, as Go writes as it goes). Commands word it as docker does.
 */
export class TemplateFailure extends Error {
  constructor(readonly phase: 'parse' | 'exec', message: string, readonly partial = '') {
    super(message);
  }
}

function asFailure(e: unknown, phase?: 'parse' | 'exec'): unknown {
  if (e instanceof TemplateFailure || !(e instanceof Error)) return e;
  if (!/^template: /.test(e.message)) return e;
  return new TemplateFailure(phase ?? (e instanceof templates().TemplateSyntaxError ? 'parse' : 'exec'), e.message);
}

/** Parse a template (TemplateFailure 'parse' on error); `execute` throws TemplateFailure 'exec'. */
export function compileTemplate(format: string, name = ''): { execute(data: unknown): string } {
  let t: ReturnType<TemplateModule['parseTemplate']>;
  try {
    t = templates().parseTemplate(format, { name });
  } catch (e) {
    throw asFailure(e, 'parse');
  }
  return {
    execute(data: unknown): string {
      const r = t.executePartial(data);
      if (r.error) throw new TemplateFailure('exec', r.error.message, r.output);
      return r.output;
    },
  };
}

/** Go text/tabwriter with docker's settings: cells end at `\t`; the last cell of a line is free. */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const lines = text.split('\n');
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  const cells = lines.map((l) => l.split('\t'));
  const out: string[] = new Array(lines.length).fill('');
  // Column blocks: consecutive lines that have a cell terminated at column c share its width.
  const widthAt = (start: number, col: number): [number, number] => {
    let end = start;
    let w = 0;
    while (end < cells.length && cells[end].length - 1 > col) {
      w = Math.max(w, [...cells[end][col]].length + padding);
      end++;
    }
    return [Math.max(w, minwidth), end];
  };
  const widths: number[][] = cells.map((r) => new Array(Math.max(r.length - 1, 0)).fill(0));
  const maxCols = Math.max(0, ...cells.map((r) => r.length - 1));
  for (let col = 0; col < maxCols; col++) {
    let i = 0;
    while (i < cells.length) {
      if (cells[i].length - 1 <= col) { i++; continue; }
      const [w, end] = widthAt(i, col);
      for (let j = i; j < end; j++) widths[j][col] = w;
      i = end;
    }
  }
  for (let i = 0; i < cells.length; i++) {
    const r = cells[i];
    let line = '';
    for (let c = 0; c < r.length; c++) {
      if (c < r.length - 1) line += r[c] + ' '.repeat(Math.max(widths[i][c] - [...r[c]].length, 0));
      else line += r[c];
    }
    out[i] = line;
  }
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

export type FormatKind = 'table' | 'json' | 'template';

export function formatKind(format: string): FormatKind {
  const f = format.trim();
  if (f === '' || f === 'table') return 'table';
  if (f === 'json') return 'json';
  return 'template';
}

/** Go's json.Marshal of a map: keys sorted, HTML characters escaped. */
export function goJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
      return o;
    }
    return v;
  };
  return escapeHtml(JSON.stringify(sortKeys(value)));
}

export function escapeHtml(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * Render rows. `context` turns a row into the object templates see (`{{.ID}}`), with the
 * same field names the docker CLI's formatter contexts expose.
 */
export function renderList<Row>(
  rows: Row[], format: string, columns: Column<Row>[], context: (row: Row) => Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): string {
  const kind = formatKind(format);
  if (kind === 'table') {
    let text = columns.map((c) => c.header).join('\t') + '\n';
    for (const r of rows) text += columns.map((c) => c.value(r)).join('\t') + '\n';
    return tabwrite(text);
  }
  if (kind === 'json') {
    return rows.map((r) => goJson(jsonView(context(r))) + '\n').join('');
  }
  const headers: Record<string, string> = { ...extraHeaders };
  for (const c of columns) headers[c.field] = c.header;
  const f = format.trim();
  if (f.startsWith('table')) {
    try {
      return templates().formatTable(format, rows.map(context), headers);
    } catch (e) {
      throw asFailure(e);
    }
  }
  const tpl = compileTemplate(format);
  return rows.map((r) => tpl.execute(context(r)) + '\n').join('');
}

/** The plain fields of a context (functions such as `Label` are not part of the JSON). */
function jsonView(ctx: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx)) if (typeof v !== 'function') o[k] = v;
  return o;
}

/** Execute one template against one value (inspect, version, info). */
export function executeTemplate(format: string, data: unknown, name = ''): string {
  return compileTemplate(format, name).execute(data);
}

/**
 * A TemplateFailure as the StatusError a command ends with: docker words parse and
 * execution errors differently per command (`failed to parse template: `, `template
 * parsing error: `...), and some exit 64 on a parse error. Other errors pass through.
 */
export function templateError(e: unknown, words: { parse: string; exec: string; parseCode?: number }): unknown {
  if (!(e instanceof TemplateFailure)) return e;
  if (e.phase === 'parse') return new StatusError(words.parseCode ?? 1, `${words.parse}${e.message}`);
  return new StatusError(1, `${words.exec}${e.message}`);
}

export function truncateId(id: string): string {
  const bare = id.startsWith('sha256:') ? id.slice(7) : id;
  return bare.slice(0, 12);
}

/** docker's Ellipsis: cut to `max` display characters ending in "…". */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, max).join('');
  return chars.slice(0, max - 1).join('') + '…';
}
