// The docker CLI's handling of --format strings (cli/command/formatter/formatter.go):
// "table" prefix => header row + tabwriter alignment; "json" => one JSON object per row;
// literal `\t` and `\n` escapes in the format are turned into real tabs and newlines.
import { HEADER_FUNCS } from './funcs';
import { parseTemplate } from './template';
import { DOCKER_TABLE, tabwrite } from './tabwriter';

export const TABLE_FORMAT_KEY = 'table';
export const JSON_FORMAT_KEY = 'json';
export const JSON_FORMAT = '{{json .}}';

export const isTableFormat = (format: string): boolean => format.startsWith(TABLE_FORMAT_KEY);
export const isJSONFormat = (format: string): boolean => format === JSON_FORMAT_KEY;

/** The template text docker actually parses for a --format value (Context.preFormat). */
export function preFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = f.slice(TABLE_FORMAT_KEY.length);
  else if (isJSONFormat(f)) f = JSON_FORMAT;
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/**
 * Render rows with a docker-style --format string. Each row is followed by a
 * newline. With a "table" prefix the header row is the same template executed
 * against `headers` (field name -> header text) with the header function set
 * (json/split/join/title/lower/upper/truncate return their input; pad is kept),
 * and everything is aligned with tabwriter(minwidth 10, tabwidth 1, padding 3, ' ').
 * Like docker, an error while rendering the header keeps the partial header.
 * Parse and row execution errors are thrown (docker prefixes them with
 * "template parsing error: ").
 */
export function formatTable(format: string, rows: unknown[], headers: Record<string, string>,
  funcs?: Record<string, Function>): string {
  const tmpl = parseTemplate(preFormat(format), { funcs });
  let body = '';
  for (const row of rows) body += tmpl.execute(row, funcs) + '\n';
  if (!isTableFormat(format)) return body;
  const header = tmpl.executePartial(headers, funcs, HEADER_FUNCS).output;
  return tabwrite(header + '\n' + body, DOCKER_TABLE);
}
