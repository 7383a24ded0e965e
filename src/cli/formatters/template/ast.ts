// AST node types for the template parser, plus Go-style String() rendering
// of nodes (used in execution error contexts: `executing "" at <.Foo>`).
import { goQuote } from './lexer';

export interface Pipe {
  type: 'pipe';
  pos: number;
  line: number;
  isAssign: boolean;
  decl: string[]; // variable names including '$'
  cmds: Cmd[];
}

export interface Cmd {
  type: 'command';
  pos: number;
  args: Arg[];
}

export type Arg =
  | { type: 'field'; pos: number; ident: string[] }
  | { type: 'variable'; pos: number; ident: string[] } // ident[0] is "$name"
  | { type: 'identifier'; pos: number; name: string }
  | { type: 'dot'; pos: number }
  | { type: 'nil'; pos: number }
  | { type: 'bool'; pos: number; val: boolean }
  | { type: 'number'; pos: number; val: number; text: string; isInt: boolean }
  | { type: 'string'; pos: number; val: string; quoted: string }
  | { type: 'chain'; pos: number; node: Arg; field: string[] }
  | Pipe;

export type Node =
  | { type: 'text'; pos: number; text: string }
  | { type: 'action'; pos: number; line: number; pipe: Pipe }
  | Branch
  | { type: 'break' | 'continue'; pos: number; line: number }
  | { type: 'template'; pos: number; line: number; name: string; pipe: Pipe | null };

export interface Branch {
  type: 'if' | 'with' | 'range';
  pos: number;
  line: number;
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

export function argString(a: Arg): string {
  switch (a.type) {
    case 'field': return '.' + a.ident.join('.');
    case 'variable': return a.ident.join('.');
    case 'identifier': return a.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(a.val);
    case 'number': return a.text;
    case 'string': return a.quoted;
    case 'chain': {
      const inner = a.node.type === 'pipe' ? '(' + pipeString(a.node) + ')' : argString(a.node);
      return inner + '.' + a.field.join('.');
    }
    case 'pipe': return '(' + pipeString(a) + ')';
  }
}

export function cmdString(c: Cmd): string {
  return c.args.map((a) => argString(a)).join(' ');
}

export function pipeString(p: Pipe): string {
  let s = '';
  if (p.decl.length > 0) s = p.decl.join(', ') + (p.isAssign ? ' = ' : ' := ');
  return s + p.cmds.map(cmdString).join(' | ');
}

export function nodeString(n: Node): string {
  switch (n.type) {
    case 'text': return n.text;
    case 'action': return '{{' + pipeString(n.pipe) + '}}';
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'template':
      return '{{template ' + goQuote(n.name) + (n.pipe ? ' ' + pipeString(n.pipe) : '') + '}}';
    default: {
      let s = `{{${n.type} ${pipeString(n.pipe)}}}` + n.list.map(nodeString).join('');
      if (n.elseList) s += '{{else}}' + n.elseList.map(nodeString).join('');
      return s + '{{end}}';
    }
  }
}
