/**
 * Static analysis of parsed templates: which scope fields they read and which functions
 * they call. The workflow validator uses the first to check references to earlier steps;
 * the runtime uses the second to resolve `secret "name"` calls before evaluation.
 */
import type { Command, LiteralValue, Operand, Pipeline } from "./ast.js";
import type { Template } from "./template.js";

/** A field chain read from the root scope, e.g. `.user.id` → `["user", "id"]`. */
export interface TemplateReference {
  /** The field names; empty for a bare `.`, which reads the whole scope. */
  readonly path: readonly string[];
  /** Offset of the chain's first `.` in the source. */
  readonly offset: number;
}

/** A function call, with the arguments that are literals in the source. */
export interface TemplateCall {
  readonly name: string;
  /**
   * Arguments in call order, the piped value last; each is its literal value or undefined
   * when it is computed (a field, a nested call, ...).
   */
  readonly args: readonly (LiteralValue | undefined)[];
  /** Offset of the function name in the source. */
  readonly offset: number;
}

interface Visitor {
  operand?(operand: Operand): void;
  call?(command: Command & { kind: "call" }, piped: Command | undefined): void;
}

/** Every field chain read from the root scope, in source order. */
export function templateReferences(template: Template): readonly TemplateReference[] {
  const references: TemplateReference[] = [];
  walk(template, {
    operand(operand) {
      // Chains after `( ... )` read the expression's result, not the scope.
      if (operand.kind === "field") {
        references.push({ path: operand.path, offset: operand.offset });
      } else if (operand.kind === "dot") {
        references.push({ path: [], offset: operand.offset });
      }
    },
  });
  return references;
}

/** Every function call, in source order. */
export function templateCalls(template: Template): readonly TemplateCall[] {
  const calls: TemplateCall[] = [];
  walk(template, {
    call(command, piped) {
      const args = command.args.map(literalOf);
      if (piped) args.push(piped.kind === "operand" ? literalOf(piped.operand) : undefined);
      calls.push({ name: command.name, args, offset: command.offset });
    },
  });
  return calls;
}

function literalOf(operand: Operand): LiteralValue | undefined {
  return operand.kind === "literal" ? operand.value : undefined;
}

function walk(template: Template, visitor: Visitor): void {
  for (const node of template.nodes) {
    if (node.kind === "action") walkPipeline(node.pipeline, visitor);
  }
}

function walkPipeline(pipeline: Pipeline, visitor: Visitor): void {
  let previous: Command | undefined;
  for (const command of pipeline.commands) {
    if (command.kind === "operand") {
      walkOperand(command.operand, visitor);
    } else {
      visitor.call?.(command, previous);
      for (const arg of command.args) walkOperand(arg, visitor);
    }
    previous = command;
  }
}

function walkOperand(operand: Operand, visitor: Visitor): void {
  visitor.operand?.(operand);
  if (operand.kind === "paren") walkPipeline(operand.pipeline, visitor);
}
