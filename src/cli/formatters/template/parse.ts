// Parser for Go text/template, following the structure (and error messages)
// of Go's text/template/parse/parse.go.
import { Arg, Cmd, Node, Pipe, argString } from './ast';
import { Item, T, itemString, lex } from './lexer';
import { parseNumber, unquote } from './literals';

export interface ParsedTemplate {
  name: string;
  text: string;
  root: Node[];
  defines: Map<string, Node[]>;
}

type Marker = { type: 'end' | 'else'; pos: number; line: number };

export class TemplateSyntaxError extends Error {}

export function parse(text: string, name: string, hasFunc: (n: string) => boolean): ParsedTemplate {
  const items = lex(text);
  let i = 0;
  let lastLine = 1;
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  const defines = new Map<string, Node[]>();

  const errorf = (msg: string): never => {
    throw new TemplateSyntaxError(`template: ${name}:${lastLine}: ${msg}`);
  };
  const next = (): Item => {
    const it = items[Math.min(i, items.length - 1)];
    i++;
    lastLine = it.line;
    if (it.typ === T.Error) errorf(it.val);
    return it;
  };
  const backup = (n = 1) => { i -= n; };
  const peek = (): Item => items[Math.min(i, items.length - 1)];
  const nextNonSpace = (): Item => {
    let it: Item;
    do it = next(); while (it.typ === T.Space);
    return it;
  };
  const peekNonSpace = (): Item => {
    const it = nextNonSpace();
    backup();
    // backing up over spaces is unnecessary: they are insignificant to the caller
    return it;
  };
  const unexpected = (tok: Item, context: string): never => errorf(`unexpected ${itemString(tok)} in ${context}`);
  const expect = (typ: T, context: string): Item => {
    const tok = nextNonSpace();
    if (tok.typ !== typ) unexpected(tok, context);
    return tok;
  };

  function itemList(): { list: Node[]; end: Marker } {
    const list: Node[] = [];
    while (peekNonSpace().typ !== T.EOF) {
      const n = textOrAction();
      if (n.type === 'end' || n.type === 'else') return { list, end: n as Marker };
      list.push(n as Node);
    }
    return errorf('unexpected EOF');
  }

  function textOrAction(): Node | Marker {
    const tok = nextNonSpace();
    if (tok.typ === T.Text) return { type: 'text', pos: tok.pos, text: tok.val };
    if (tok.typ === T.LeftDelim) return action();
    return unexpected(tok, 'input');
  }

  function action(): Node | Marker {
    const tok = nextNonSpace();
    switch (tok.typ) {
      case T.Block: return blockControl();
      case T.Break: case T.Continue: {
        const kw = tok.typ === T.Break ? 'break' : 'continue';
        const t2 = nextNonSpace();
        if (t2.typ !== T.RightDelim) unexpected(t2, `{{${kw}}}`);
        if (rangeDepth === 0) errorf(`{{${kw}}} outside {{range}}`);
        return { type: kw, pos: tok.pos, line: tok.line };
      }
      case T.Else: {
        const p = peekNonSpace();
        if (p.typ === T.If || p.typ === T.With) return { type: 'else', pos: p.pos, line: p.line };
        const t2 = expect(T.RightDelim, 'else');
        return { type: 'else', pos: t2.pos, line: t2.line };
      }
      case T.End: return { type: 'end', pos: expect(T.RightDelim, 'end').pos, line: tok.line };
      case T.If: return control('if');
      case T.Range: return control('range');
      case T.With: return control('with');
      case T.Template: return templateControl();
      case T.Define: return errorf(`unexpected ${itemString(tok)} in input`);
    }
    backup();
    const p = peek();
    return { type: 'action', pos: p.pos, line: p.line, pipe: pipeline('command', T.RightDelim) };
  }

  function control(context: 'if' | 'range' | 'with'): Node {
    const saved = vars.length;
    try {
      const pipe = pipeline(context, T.RightDelim);
      if (context === 'range') rangeDepth++;
      const r = itemList();
      if (context === 'range') rangeDepth--;
      let elseList: Node[] | null = null;
      if (r.end.type === 'else') {
        const p = peek();
        if (context === 'if' && p.typ === T.If) {
          next();
          elseList = [control('if')];
        } else if (context === 'with' && p.typ === T.With) {
          next();
          elseList = [control('with')];
        } else {
          const r2 = itemList();
          if (r2.end.type !== 'end') errorf(`expected end; found {{else}}`);
          elseList = r2.list;
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list: r.list, elseList };
    } finally {
      vars = vars.slice(0, saved);
    }
  }

  function templateName(tok: Item, context: string): string {
    if (tok.typ === T.String || tok.typ === T.RawString) return unquote(tok.val, errorf);
    return unexpected(tok, context);
  }

  function templateControl(): Node {
    const tok = nextNonSpace();
    const nm = templateName(tok, 'template clause');
    let pipe: Pipe | null = null;
    if (nextNonSpace().typ !== T.RightDelim) {
      backup();
      pipe = pipeline('template', T.RightDelim);
    }
    return { type: 'template', pos: tok.pos, line: tok.line, name: nm, pipe };
  }

  function blockControl(): Node {
    const tok = nextNonSpace();
    const nm = templateName(tok, 'block clause');
    let pipe: Pipe | null = null;
    if (nextNonSpace().typ !== T.RightDelim) {
      backup();
      pipe = pipeline('block', T.RightDelim);
    }
    const saved = vars; const savedDepth = rangeDepth;
    vars = ['$']; rangeDepth = 0;
    const r = itemList();
    vars = saved; rangeDepth = savedDepth;
    if (r.end.type !== 'end') errorf(`unexpected {{else}} in block clause`);
    defines.set(nm, r.list);
    return { type: 'template', pos: tok.pos, line: tok.line, name: nm, pipe };
  }

  function definition(): void {
    const nm = templateName(nextNonSpace(), 'define clause');
    expect(T.RightDelim, 'define clause');
    const saved = vars; vars = ['$'];
    const r = itemList();
    vars = saved;
    if (r.end.type !== 'end') errorf(`unexpected {{else}} in define clause`);
    defines.set(nm, r.list);
  }

  function pipeline(context: string, end: T): Pipe {
    const first = peekNonSpace();
    const pipe: Pipe = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = peekNonSpace();
      if (v.typ !== T.Variable) break;
      const start = i;
      nextNonSpace();
      const nx = peekNonSpace();
      if (nx.typ === T.Assign || nx.typ === T.Declare) {
        pipe.isAssign = nx.typ === T.Assign;
        nextNonSpace();
        if (pipe.isAssign && !vars.includes(v.val)) errorf(`undefined variable ${JSON.stringify(v.val)}`);
        pipe.decl.push(v.val);
        vars.push(v.val);
        break;
      } else if (nx.typ === T.Char && nx.val === ',') {
        nextNonSpace();
        pipe.decl.push(v.val);
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = peekNonSpace().typ;
          if (p === T.Variable || p === T.RightDelim || p === T.RightParen) continue;
          errorf('range can only initialize variables');
        }
        errorf(`too many declarations in ${context}`);
      } else {
        i = start;
        break;
      }
    }
    for (;;) {
      const tok = nextNonSpace();
      if (tok.typ === end) {
        if (pipe.cmds.length === 0) errorf(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, k) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0].type)) {
            errorf(`non executable command in pipeline stage ${k + 2}`);
          }
        });
        return pipe;
      }
      switch (tok.typ) {
        case T.Bool: case T.CharConstant: case T.Dot: case T.Field: case T.Identifier:
        case T.Number: case T.Nil: case T.RawString: case T.String: case T.Variable: case T.LeftParen:
          backup();
          pipe.cmds.push(command());
          break;
        default:
          unexpected(tok, context);
      }
    }
  }

  function command(): Cmd {
    const cmd: Cmd = { type: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const op = operand();
      if (op) cmd.args.push(op);
      const tok = next();
      if (tok.typ === T.Space) continue;
      if (tok.typ === T.RightDelim || tok.typ === T.RightParen) backup();
      else if (tok.typ !== T.Pipe) unexpected(tok, 'operand');
      break;
    }
    if (cmd.args.length === 0) errorf('empty command');
    return cmd;
  }

  function operand(): Arg | null {
    const node = term();
    if (!node) return null;
    if (peek().typ !== T.Field) return node;
    const pos = peek().pos;
    const fields: string[] = [];
    while (peek().typ === T.Field) fields.push(next().val.slice(1));
    switch (node.type) {
      case 'field': return { type: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable': return { type: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        return errorf(`unexpected . after term ${JSON.stringify(argString(node))}`);
      default: return { type: 'chain', pos, node, field: fields };
    }
  }

  function term(): Arg | null {
    const tok = nextNonSpace();
    switch (tok.typ) {
      case T.Identifier:
        if (!hasFunc(tok.val)) errorf(`function ${JSON.stringify(tok.val)} not defined`);
        return { type: 'identifier', pos: tok.pos, name: tok.val };
      case T.Dot: return { type: 'dot', pos: tok.pos };
      case T.Nil: return { type: 'nil', pos: tok.pos };
      case T.Variable: {
        const parts = tok.val.split('.');
        if (!vars.includes(parts[0])) errorf(`undefined variable ${JSON.stringify(parts[0])}`);
        return { type: 'variable', pos: tok.pos, ident: parts };
      }
      case T.Field: return { type: 'field', pos: tok.pos, ident: [tok.val.slice(1)] };
      case T.Bool: return { type: 'bool', pos: tok.pos, val: tok.val === 'true' };
      case T.CharConstant: case T.Number: {
        const n = parseNumber(tok.val, tok.typ === T.CharConstant, errorf);
        return { type: 'number', pos: tok.pos, val: n.val, isInt: n.isInt, text: tok.val };
      }
      case T.LeftParen: return pipeline('parenthesized pipeline', T.RightParen);
      case T.String: case T.RawString:
        return { type: 'string', pos: tok.pos, val: unquote(tok.val, errorf), quoted: tok.val };
    }
    backup();
    return null;
  }

  // top level
  const root: Node[] = [];
  while (peek().typ !== T.EOF) {
    if (peek().typ === T.LeftDelim) {
      const save = i;
      next();
      if (nextNonSpace().typ === T.Define) { definition(); continue; }
      i = save;
    }
    const n = textOrAction();
    if (n.type === 'end' || n.type === 'else') errorf(`unexpected {{${n.type}}}`);
    root.push(n as Node);
  }
  return { name, text, root, defines };
}
