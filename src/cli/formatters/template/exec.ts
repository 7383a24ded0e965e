// Executor for parsed templates, following Go's text/template/exec.go.
import { Arg, Branch, Cmd, Node, Pipe, argString, cmdString, pipeString } from './ast';
import { ArgTypeError, FuncDef } from './funcs';
import { ParsedTemplate } from './parse';
import { formatValue, goTypeName, isInt, isMap, sortedKeys, truth } from './value';

/** Marks "no value piped in" (Go's missingVal), distinct from undefined (Go's invalid value). */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown | typeof MISSING;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
const MAX_DEPTH = 1000; // Go allows 100000; JS stacks are smaller

export class TemplateExecError extends Error {}

interface Var { name: string; value: unknown }

export class Executor {
  out = '';
  private vars: Var[] = [];
  private depth = 0;

  constructor(private tmpl: ParsedTemplate, private funcs: Record<string, FuncDef>) {}

  run(data: unknown): void {
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, this.tmpl.root);
  }

  private fail(node: { pos: number } | null, context: string, msg: string): never {
    const name = this.tmpl.name;
    if (!node) throw new TemplateExecError(`template: ${name}: ${msg}`);
    const before = this.tmpl.text.slice(0, node.pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? Buffer.byteLength(before) : Buffer.byteLength(before.slice(nl + 1));
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    throw new TemplateExecError(
      `template: ${name}:${line}:${col}: executing ${JSON.stringify(name)} at <${context}>: ${msg}`);
  }

  private walkList(dot: unknown, list: Node[]): void {
    for (const n of list) this.walk(dot, n);
  }

  private walk(dot: unknown, node: Node): void {
    switch (node.type) {
      case 'text': this.out += node.text; return;
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.out += this.printable(node.pipe, val);
        return;
      }
      case 'if': case 'with': return this.walkIfOrWith(dot, node);
      case 'range': return this.walkRange(dot, node);
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'template': {
        const list = this.tmpl.defines.get(node.name);
        if (!list) this.fail(node, `{{template ${JSON.stringify(node.name)}}}`, `template ${JSON.stringify(node.name)} not defined`);
        const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
        if (++this.depth > MAX_DEPTH) this.fail(node, 'template', `exceeded maximum template depth (${MAX_DEPTH})`);
        const saved = this.vars;
        this.vars = [{ name: '$', value: newDot }];
        try { this.walkList(newDot, list); } finally { this.vars = saved; this.depth--; }
        return;
      }
    }
  }

  private printable(node: { pos: number }, v: unknown): string {
    if (v === undefined) return '<no value>';
    if (typeof v === 'function') this.fail(node, '', `can't print value of type ${goTypeName(v)}`);
    return formatValue(v);
  }

  private walkIfOrWith(dot: unknown, node: Branch): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (truth(val)) this.walkList(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, node: Branch): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const decl = node.pipe.decl;
      const one = (index: unknown, elem: unknown): boolean => {
        if (decl.length > 0) {
          if (node.pipe.isAssign) this.setVar(decl[0], decl.length > 1 ? index : elem);
          else this.vars[this.vars.length - 1].value = elem;
        }
        if (decl.length > 1) {
          if (node.pipe.isAssign) this.setVar(decl[1], elem);
          else this.vars[this.vars.length - 2].value = index;
        }
        const inner = this.vars.length;
        try {
          this.walkList(elem, node.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = inner;
        }
        return true;
      };
      let ran = false;
      if (Array.isArray(val)) {
        for (let k = 0; k < val.length; k++) { ran = true; if (!one(k, val[k])) break; }
      } else if (isMap(val)) {
        for (const k of sortedKeys(val)) { ran = true; if (!one(k, val[k])) break; }
      } else if (typeof val === 'number' && isInt(val)) {
        if (decl.length > 1) {
          this.fail(node.pipe, pipeString(node.pipe), `can't use ${val} to iterate over more than one variable`);
        }
        for (let k = 0; k < val; k++) { ran = true; if (!one(k, k)) break; }
      } else if (val !== undefined && val !== null) {
        this.fail(node.pipe, pipeString(node.pipe), `range can't iterate over ${formatValue(val)}`);
      }
      if (!ran && node.elseList) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private setVar(name: string, value: unknown): void {
    for (let k = this.vars.length - 1; k >= 0; k--) {
      if (this.vars[k].name === name) { this.vars[k].value = value; return; }
    }
    this.fail(null, '', `undefined variable: ${name}`);
  }

  private varValue(node: { pos: number }, name: string): unknown {
    for (let k = this.vars.length - 1; k >= 0; k--) if (this.vars[k].name === name) return this.vars[k].value;
    return this.fail(node, name, `undefined variable: ${name}`);
  }

  private evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const v = value === MISSING ? undefined : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, v);
      else this.vars.push({ name, value: v });
    }
    return v;
  }

  private notAFunction(cmd: Cmd, args: Arg[] | null, final: Final): void {
    if ((args && args.length > 1) || final !== MISSING) {
      this.fail(cmd, cmdString(cmd), `can't give argument to non-function ${argString(cmd.args[0])}`);
    }
  }

  private evalCommand(dot: unknown, cmd: Cmd, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field': return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final);
      case 'chain': return this.evalChain(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe': this.notAFunction(cmd, cmd.args, final); return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd, cmd.args, final);
    switch (first.type) {
      case 'bool': return first.val;
      case 'dot': return dot;
      case 'nil': return this.fail(first, 'nil', 'nil is not a command');
      case 'number': return first.val;
      case 'string': return first.val;
    }
  }

  private evalArg(dot: unknown, n: Arg): unknown {
    switch (n.type) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'field': return this.evalFieldChain(dot, dot, n, n.ident, [n], MISSING);
      case 'variable': return this.evalVariable(dot, n, null, MISSING);
      case 'pipe': return this.evalPipeline(dot, n);
      case 'identifier': return this.evalFunction(dot, n, null, null, MISSING);
      case 'chain': return this.evalChain(dot, n, null, MISSING);
      case 'bool': return n.val;
      case 'number': return n.val;
      case 'string': return n.val;
    }
  }

  private evalChain(dot: unknown, chain: Extract<Arg, { type: 'chain' }>, args: Arg[] | null, final: Final): unknown {
    if (chain.node.type === 'nil') this.fail(chain, argString(chain), `indirection through explicit nil in ${argString(chain)}`);
    const recv = this.evalArg(dot, chain.node);
    return this.evalFieldChain(dot, recv, chain, chain.field, args, final);
  }

  private evalVariable(dot: unknown, v: Extract<Arg, { type: 'variable' }>, args: Arg[] | null, final: Final): unknown {
    const value = this.varValue(v, v.ident[0]);
    if (v.ident.length === 1) {
      if ((args && args.length > 1) || final !== MISSING) {
        this.fail(v, argString(v), `can't give argument to non-function ${argString(v)}`);
      }
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: unknown, recv: unknown, node: Arg, ident: string[], args: Arg[] | null, final: Final): unknown {
    let r = recv;
    for (let k = 0; k < ident.length - 1; k++) r = this.evalField(dot, ident[k], node, null, MISSING, r);
    return this.evalField(dot, ident[ident.length - 1], node, args, final, r);
  }

  private evalField(dot: unknown, name: string, node: Arg, args: Arg[] | null, final: Final, recv: unknown): unknown {
    // Lenient where Go would say "nil pointer evaluating ...": a nil receiver yields no value.
    if (recv === undefined || recv === null) return undefined;
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (typeof recv === 'object' || typeof recv === 'function') {
      const obj = recv as Record<string, unknown>;
      const own = Object.prototype.hasOwnProperty.call(obj, name);
      const proto = Object.getPrototypeOf(obj);
      const inherited = !own && proto !== null && proto !== Object.prototype && proto !== Array.prototype && name in obj;
      if (own || inherited) {
        const v = obj[name];
        if (typeof v === 'function') {
          return this.call(dot, v as (...a: unknown[]) => unknown, obj, node, name, args, final, undefined);
        }
        if (!Array.isArray(recv) && hasArgs) this.fail(node, argString(node), `${name} is not a method but has arguments`);
        if (!Array.isArray(recv)) return v;
      } else if (isMap(recv)) {
        if (hasArgs) this.fail(node, argString(node), `${name} is not a method but has arguments`);
        return undefined;
      }
    }
    return this.fail(node, argString(node), `can't evaluate field ${name} in type ${goTypeName(recv)}`);
  }

  private evalFunction(dot: unknown, node: Extract<Arg, { type: 'identifier' }>, cmd: Cmd | null, args: Arg[] | null, final: Final): unknown {
    const name = node.name;
    const def = this.funcs[name];
    const ctxNode = cmd ?? node;
    const ctx = cmd ? cmdString(cmd) : name;
    if (!def) return this.fail(ctxNode, ctx, `${JSON.stringify(name)} is not a defined function`);
    const argNodes = args ? args.slice(1) : [];
    if (name === 'and' || name === 'or') {
      if (argNodes.length + (final !== MISSING ? 1 : 0) < 1) {
        this.fail(ctxNode, ctx, `wrong number of args for ${name}: want at least 1 got 0`);
      }
      let v: unknown;
      for (const a of argNodes) {
        v = this.evalArg(dot, a);
        if (truth(v) === (name === 'or')) return v;
      }
      return final !== MISSING ? final : v;
    }
    return this.call(dot, def.fn, undefined, ctxNode as Arg, name, args, final, def.arity, ctx);
  }

  private call(dot: unknown, fn: (...a: unknown[]) => unknown, self: unknown, node: { pos: number }, name: string,
    args: Arg[] | null, final: Final, arity: number | [number] | undefined, ctx?: string): unknown {
    const context = ctx ?? argString(node as Arg);
    const argNodes = args ? args.slice(1) : [];
    const n = argNodes.length + (final !== MISSING ? 1 : 0);
    if (typeof arity === 'number' && n !== arity) {
      this.fail(node, context, `wrong number of args for ${name}: want ${arity} got ${n}`);
    } else if (Array.isArray(arity) && n < arity[0]) {
      this.fail(node, context, `wrong number of args for ${name}: want at least ${arity[0]} got ${n}`);
    } else if (arity === undefined && self !== undefined && fn.length > n) {
      this.fail(node, context, `wrong number of args for ${name}: want ${fn.length} got ${n}`);
    }
    const vals = argNodes.map((a) => this.evalArg(dot, a));
    if (final !== MISSING) vals.push(final);
    try {
      return fn.apply(self, vals);
    } catch (e) {
      if (e === BREAK || e === CONTINUE || e instanceof TemplateExecError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof ArgTypeError) this.fail(node, context, msg);
      return this.fail(node, context, `error calling ${name}: ${msg}`);
    }
  }
}
