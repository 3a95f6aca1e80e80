/** Synthesizes the Maestro stack the way `cdk synth` does, for assertions. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { buildMaestroApp } from "../../infra/build-app.js";
import { ENVIRONMENTS, type FunctionId, type MaestroEnvironment } from "../../infra/config.js";
import { FUNCTIONS, REPO_ROOT } from "../../infra/functions.js";
import type { MaestroStack } from "../../infra/stack.js";

/** The context `cdk.json` gives the CLI (feature flags, the default environment). */
const CDK_CONTEXT = (
  JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")) as { context: object }
).context;

export interface Synthesized {
  readonly app: App;
  readonly stack: MaestroStack;
  readonly template: Template;
}

let scratch: string | undefined;

/** One temporary cloud assembly folder per test process, removed when it exits. */
function scratchDir(): string {
  if (!scratch) {
    const dir = mkdtempSync(join(tmpdir(), "maestro-cdk-"));
    scratch = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return mkdtempSync(join(scratch, "out-"));
}

/**
 * The stack of environment `env`, with extra `-c key=value` context. Bundling is skipped
 * (the functions' code is not built) unless `bundle` is set.
 */
export async function synth(
  env: string,
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; outdir?: string } = {},
): Promise<Synthesized> {
  const app = new App({
    outdir: options.outdir ?? scratchDir(),
    context: {
      ...CDK_CONTEXT,
      env,
      ...(options.bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
      ...context,
    },
  });
  const stack = await buildMaestroApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>
>;

/** Resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** Physical names of the resources that have one, by logical id. */
export function physicalNames(template: Template): Map<string, string> {
  const nameProps = [
    "TableName",
    "QueueName",
    "FunctionName",
    "LogGroupName",
    "AlarmName",
    "TopicName",
    "Name",
  ];
  const names = new Map<string, string>();
  for (const [id, resource] of Object.entries(template.toJSON().Resources as Resources)) {
    for (const prop of nameProps) {
      const value = resource.Properties?.[prop];
      if (typeof value === "string") names.set(id, value);
    }
  }
  return names;
}

export const dev = ENVIRONMENTS.dev as MaestroEnvironment;
export const prod = ENVIRONMENTS.prod as MaestroEnvironment;

export const AUTH = { authIssuer: "https://login.example.com/", authAudience: "maestro" };

/**
 * prod with everything switched on: the fixtures' workflows (three schedule triggers, two in
 * one workflow, and a queue trigger), JWT auth, a public Function URL, an alarm e-mail.
 */
export const FULL_PROD_CONTEXT = {
  workflows: "test/fixtures/infra/*.yaml",
  ...AUTH,
  functionUrl: "none",
  alarmEmail: "ops@example.com",
};

/** The logical id of a function of the stack. */
export function functionId(s: Synthesized, fn: FunctionId): string {
  const name = `${s.stack.stackName}-${FUNCTIONS[fn].name}`;
  const found = Object.entries(resourcesOf(s.template, "AWS::Lambda::Function")).find(
    ([, r]) => r.Properties?.FunctionName === name,
  );
  if (!found) throw new Error(`no function ${name}`);
  return found[0];
}
