/**
 * Compiling the templates in a workflow, with positions for every error, and the rule for
 * where `{{ secret "…" }}` may appear.
 */
import {
  type CompiledValue,
  compileValue,
  parseTemplate,
  type Template,
  TemplateSyntaxError,
  templateCalls,
  valueCalls,
} from "../template/index.js";
import type { Diagnostic, SourceMap, YamlPath } from "./diagnostics.js";

export interface Context {
  readonly source: SourceMap;
  readonly out: Diagnostic[];
  readonly baseDir: string;
  /** Services with shape errors, already reported. */
  readonly invalidServices: ReadonlySet<string>;
}

/**
 * `{{ secret "name" }}` is allowed only where a value goes to a service and nowhere it could
 * be recorded: headers, query and input (not the method, which appears in messages, nor
 * conditions or outputs). Its name must be literal, so input can never choose a secret.
 */
const SECRET_PLACES = "headers, query and input";

function checkSecrets(
  calls: readonly {
    name: string;
    args: readonly unknown[];
    offset: number;
    at?: readonly (string | number)[];
  }[],
  path: YamlPath,
  allowed: boolean,
  ctx: Context,
): boolean {
  let ok = true;
  for (const call of calls) {
    if (call.name !== "secret") continue;
    const where = { innerOffset: call.offset };
    const at = [...path, ...(call.at ?? [])];
    if (!allowed) {
      ctx.out.push(ctx.source.node(at, `secret may only be used in ${SECRET_PLACES}`, where));
      ok = false;
    } else if (call.args.length !== 1 || typeof call.args[0] !== "string") {
      ctx.out.push(
        ctx.source.node(
          at,
          'secret takes one literal name, e.g. {{ secret "crm-api-key" }}',
          where,
        ),
      );
      ok = false;
    }
  }
  return ok;
}

export function template(
  text: string,
  path: YamlPath,
  ctx: Context,
  secrets = false,
): Template | undefined {
  try {
    const parsed = parseTemplate(text, { functions: ["secret"] });
    return checkSecrets(templateCalls(parsed), path, secrets, ctx) ? parsed : undefined;
  } catch (error) {
    if (error instanceof TemplateSyntaxError) {
      ctx.out.push(
        ctx.source.node(path, `template: ${error.reason}`, { innerOffset: error.offset }),
      );
      return undefined;
    }
    throw error;
  }
}

export function value(
  raw: unknown,
  path: YamlPath,
  ctx: Context,
  secrets = false,
): CompiledValue | undefined {
  try {
    const compiled = compileValue(raw, { functions: ["secret"] });
    return checkSecrets(valueCalls(compiled), path, secrets, ctx) ? compiled : undefined;
  } catch (error) {
    if (error instanceof TemplateSyntaxError) {
      const at = [...path, ...(error.path ?? [])];
      ctx.out.push(ctx.source.node(at, `template: ${error.reason}`, { innerOffset: error.offset }));
      return undefined;
    }
    throw error;
  }
}

export function templates(
  raw: Readonly<Record<string, string>> | undefined,
  path: YamlPath,
  ctx: Context,
): Record<string, Template> {
  const result: Record<string, Template> = {};
  for (const [name, text] of Object.entries(raw ?? {})) {
    const compiled = template(text, [...path, name], ctx, true);
    if (compiled) result[name] = compiled;
  }
  return result;
}
