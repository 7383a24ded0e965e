/**
 * `docker inspect` output: the raw objects as an indented JSON array (4 spaces), or one template execution per object with `-f`. Objects that are not found
 * print `Error: No such object: x` (or the daemon's message) and make the exit code 1.
 */
import { executeTemplate, formatKind } from './table';

export function indentJson(values: unknown[]): string {
  if (!values.length) return '[]\n';
  return `${JSON.stringify(values, null, 4)}\n`;
}

export function renderInspect(values: unknown[], format: string): string {
  if (!format) return indentJson(values);
  if (formatKind(format) === 'json') return values.map((v) => `${JSON.stringify(v)}\n`).join('');
  return values.map((v) => `${executeTemplate(format, v)}\n`).join('');
}
