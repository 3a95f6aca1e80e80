/**
 * Recursive-descent parser for one action's tokens. Recursion happens only through
 * parentheses, whose depth is capped, so hostile input cannot overflow the stack.
 */

import { closest } from "../util/suggest.js";
import type { Command, Operand, Pipeline } from "./ast.js";
import { type Arity, BUILTINS } from "./builtins.js";
import { quoteSource, TemplateSyntaxError } from "./errors.js";
import type { Token } from "./lexer.js";

/** Deepest allowed nesting of `( ... )`. */
export const MAX_PAREN_DEPTH = 64;

/** Go's control keywords: named in errors so authors learn they are not supported. */
const CONTROL_KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "define",
  "template",
  "block",
  "break",
  "continue",
]);

type Closer = "end" | "rparen";

export class ActionParser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
    /** Extra function names allowed on top of the builtins. */
    private readonly extraFunctions: ReadonlySet<string>,
  ) {}

  /** Parses the whole action; the token list always ends with the closing delimiter. */
  parse(): Pipeline {
    return this.pipeline("end", 0);
  }

  private peek(): Token {
    const token = this.tokens[this.pos] ?? this.tokens[this.tokens.length - 1];
    if (token === undefined) throw new TemplateSyntaxError("empty action", 0);
    return token;
  }

  private text(token: Token): string {
    return quoteSource(this.source.slice(token.offset, token.end));
  }

  private pipeline(closer: Closer, open: number): Pipeline {
    const offset = this.peek().offset;
    const commands: Command[] = [];
    for (;;) {
      commands.push(this.command(commands.length > 0, closer, open));
      const next = this.peek();
      this.pos++;
      if (next.kind === closer) return { commands, offset };
      if (next.kind === "pipe") continue;
      // command() stops only before "|", ")" or the end of the action.
      if (next.kind === "rparen") throw new TemplateSyntaxError('unexpected ")"', next.offset);
      throw new TemplateSyntaxError("unclosed left paren", open);
    }
  }

  private command(piped: boolean, closer: Closer, open: number): Command {
    const token = this.peek();
    switch (token.kind) {
      case "pipe":
        throw new TemplateSyntaxError(
          piped ? 'missing command after "|"' : 'missing command before "|"',
          token.offset,
        );
      case "rparen":
      case "end":
        if (token.kind === "rparen" && closer === "end") {
          throw new TemplateSyntaxError('unexpected ")"', token.offset);
        }
        if (token.kind === "end" && closer === "rparen") {
          throw new TemplateSyntaxError("unclosed left paren", open);
        }
        throw new TemplateSyntaxError(
          piped ? 'missing command after "|"' : "empty pipeline",
          token.offset,
        );
      case "ident":
        return this.call(token.name, token.offset, piped);
    }
    const operand = this.operand();
    if (piped) {
      throw new TemplateSyntaxError(
        `cannot pipe into ${this.text(token)}: only a function can receive a piped value`,
        token.offset,
      );
    }
    const next = this.peek();
    if (isOperandStart(next)) {
      throw new TemplateSyntaxError(
        `unexpected ${this.text(next)} after ${this.text(token)}: only a function takes arguments`,
        next.offset,
      );
    }
    return { kind: "operand", operand, offset: token.offset };
  }

  private call(name: string, offset: number, piped: boolean): Command {
    this.checkFunction(name, offset);
    this.pos++;
    const args: Operand[] = [];
    for (let next = this.peek(); isOperandStart(next); next = this.peek()) {
      if (!next.spaced) {
        throw new TemplateSyntaxError(`missing space before ${this.text(next)}`, next.offset);
      }
      if (next.kind === "ident") {
        throw new TemplateSyntaxError(
          `unexpected ${this.text(next)} in arguments: quote strings and put function calls in parentheses`,
          next.offset,
        );
      }
      args.push(this.operand());
    }
    const arity = BUILTINS.get(name)?.arity;
    const count = args.length + (piped ? 1 : 0);
    if (arity && (count < arity.min || count > arity.max)) {
      const given = piped ? `${count} (including the piped value)` : String(count);
      throw new TemplateSyntaxError(
        `${name} expects ${describeArity(arity)}, got ${given}`,
        offset,
      );
    }
    return { kind: "call", name, args, offset };
  }

  private checkFunction(name: string, offset: number): void {
    if (BUILTINS.has(name) || this.extraFunctions.has(name)) return;
    if (CONTROL_KEYWORDS.has(name)) {
      throw new TemplateSyntaxError(`"${name}" actions are not supported`, offset);
    }
    const suggestion = closest(name, [...BUILTINS.keys(), ...this.extraFunctions]);
    const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
    throw new TemplateSyntaxError(`unknown function ${quoteSource(name)}${hint}`, offset);
  }

  private operand(): Operand {
    const token = this.peek();
    this.pos++;
    let operand: Operand;
    switch (token.kind) {
      case "field":
        operand = { kind: "field", path: token.path, offset: token.offset };
        break;
      case "dot":
        operand = { kind: "dot", offset: token.offset };
        break;
      case "literal":
        operand = { kind: "literal", value: token.value, offset: token.offset };
        break;
      case "lparen":
        operand = this.paren(token.offset);
        break;
      default:
        throw new TemplateSyntaxError(`unexpected ${this.text(token)}`, token.offset);
    }
    const next = this.peek();
    if (next.kind === "field" && !next.spaced) {
      throw new TemplateSyntaxError(
        `unexpected field ${this.text(next)}: fields follow "." or a parenthesised expression`,
        next.offset,
      );
    }
    return operand;
  }

  private paren(offset: number): Operand {
    if (this.depth >= MAX_PAREN_DEPTH) {
      throw new TemplateSyntaxError(`parentheses nested deeper than ${MAX_PAREN_DEPTH}`, offset);
    }
    this.depth++;
    const pipeline = this.pipeline("rparen", offset);
    this.depth--;
    const next = this.peek();
    if (next.kind !== "field" || next.spaced)
      return { kind: "paren", pipeline, fields: [], offset };
    this.pos++;
    return { kind: "paren", pipeline, fields: next.path, offset };
  }
}

function isOperandStart(token: Token): boolean {
  return ["field", "dot", "literal", "lparen", "ident"].includes(token.kind);
}

function describeArity({ min, max }: Arity): string {
  const plural = (n: number) => (n === 1 ? "argument" : "arguments");
  if (min === max) return `${min} ${plural(min)}`;
  if (max === Number.POSITIVE_INFINITY) return `at least ${min} ${plural(min)}`;
  return `${min} to ${max} arguments`;
}
