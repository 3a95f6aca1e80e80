/**
 * The Lambda entry points and how they are bundled: shared by the CDK constructs and
 * `scripts/bundle-size.ts`, so the measured bundle is the deployed one.
 */
import { fileURLToPath } from "node:url";
import type { FunctionId } from "./config.js";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Entry file and the suffix of the deployed function's name, per function. */
export const FUNCTIONS: Readonly<Record<FunctionId, { entry: string; name: string }>> = {
  api: { entry: "functions/api.ts", name: "api" },
  stepWorker: { entry: "functions/step-worker.ts", name: "step-worker" },
  compensator: { entry: "functions/compensator.ts", name: "compensator" },
  runTrigger: { entry: "functions/run-trigger.ts", name: "run-trigger" },
  sweeper: { entry: "functions/sweeper.ts", name: "sweeper" },
};

export const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];

/** esbuild settings (Lambda's Node 22 runtime ships the AWS SDK v3, so it stays out). */
export const BUNDLE = {
  target: "node22",
  externals: ["@aws-sdk/*"],
  /** Prefer packages' ESM builds; fall back to CommonJS. */
  mainFields: ["module", "main"],
  /**
   * Module substitutions, relative to the project root. yaml's `node` export is CommonJS,
   * which esbuild cannot tree-shake; its `default` export is the same code as ES modules
   * (about 17 KB less per bundle).
   */
  alias: { yaml: "./node_modules/yaml/browser/index.js" },
  /** Bundled CommonJS code may call `require` for Node built-ins; ESM has none. */
  banner:
    "import { createRequire as __maestroCreateRequire } from 'node:module'; const require = __maestroCreateRequire(import.meta.url);",
  /** Where the workflow files go inside the bundle, and so under /var/task. */
  workflowsFolder: "workflows",
} as const;

/** The budget per minified bundle. */
export const BUNDLE_BUDGET_BYTES = 500 * 1024;
