/**
 * `docker inspect` output: the raw objects as an indented JSON array (4 spaces), or one
 * template execution per object with `-f`. Objects that are not found print
 * `Error: No such object: x` (or the daemon's message) and make the exit code 1.
 */
import { compileTemplate, formatKind, TemplateFailure } from './table';

export function indentJson(values: unknown[]): string {
  if (!values.length) return '[]\n';
  return `${JSON.stringify(values, null, 4)}\n`;
}

export interface InspectRenderer {
  render(values: unknown[]): string;
}

/**
 * Prepare the output for a --format (parsing its template now: a bad template is an error
 * before anything is fetched). An execution error carries what was printed before it,
 * ending in a newline as docker's output does.
 */
export function inspectRenderer(format: string): InspectRenderer {
  if (!format) return { render: indentJson };
  // `-f json` is the whole array on one line
  if (formatKind(format) === 'json') return { render: (values) => `${JSON.stringify(values)}\n` };
  const tpl = compileTemplate(format);
  return {
    render(values) {
      if (!values.length) return '\n';
      let out = '';
      for (const v of values) {
        try {
          out += `${tpl.execute(v)}\n`;
        } catch (e) {
          if (e instanceof TemplateFailure) throw new TemplateFailure('exec', e.message, `${out}${e.partial}\n`);
          throw e;
        }
      }
      return out;
    },
  };
}

export function renderInspect(values: unknown[], format: string): string {
  return inspectRenderer(format).render(values);
}
