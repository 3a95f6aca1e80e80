/**
 * The parsed form of a template. Every node keeps its source offset so evaluation errors
 * and static analysis can point back into the text the author wrote.
 */

/** A value written directly in the template: `"a"`, `3`, `true`, `nil`. */
export type LiteralValue = string | number | boolean | null;

/** Something that yields a value without calling a function. */
export type Operand =
  /** `.a.b`: a field chain read from the root scope. */
  | { readonly kind: "field"; readonly path: readonly string[]; readonly offset: number }
  /** `.`: the root scope itself. */
  | { readonly kind: "dot"; readonly offset: number }
  | { readonly kind: "literal"; readonly value: LiteralValue; readonly offset: number }
  /** `( pipeline )`, optionally followed by a field chain: `(index .x 0).name`. */
  | {
      readonly kind: "paren";
      readonly pipeline: Pipeline;
      readonly fields: readonly string[];
      readonly offset: number;
    };

export type Command =
  | { readonly kind: "operand"; readonly operand: Operand; readonly offset: number }
  | {
      readonly kind: "call";
      readonly name: string;
      readonly args: readonly Operand[];
      readonly offset: number;
    };

/** `command | command ...`: each result is passed as the last argument of the next call. */
export interface Pipeline {
  readonly commands: readonly Command[];
  readonly offset: number;
}

/** `{{ pipeline }}`; `offset` is where its `{{` starts. */
export interface ActionNode {
  readonly kind: "action";
  readonly pipeline: Pipeline;
  readonly offset: number;
}

export type TemplateNode = { readonly kind: "text"; readonly text: string } | ActionNode;
