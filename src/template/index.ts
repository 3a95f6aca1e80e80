/**
 * Maestro's template language: a safe subset of Go's text/template used in workflow YAML,
 * e.g. `"{{ .input.email }}"` or `"{{ and (eq .input.plan \"pro\") (gt (len .input.items) 0) }}"`.
 */
export {
  type TemplateCall,
  type TemplateReference,
  templateCalls,
  templateReferences,
} from "./analysis.js";
export { BUILTIN_FUNCTION_NAMES } from "./builtins.js";
export {
  type CompiledValue,
  compileValue,
  evaluateValue,
  type Located,
  valueCalls,
  valueReferences,
} from "./compiled-value.js";
export { TemplateEvalError, TemplateSyntaxError, type ValuePath } from "./errors.js";
export type { TemplateFunction } from "./evaluator.js";
export { MAX_PAREN_DEPTH } from "./parser.js";
export {
  type EvalOptions,
  evaluateTemplate,
  isTemplate,
  type ParseOptions,
  parseTemplate,
  type Template,
} from "./template.js";
export { MAX_STRING_LENGTH } from "./values.js";
