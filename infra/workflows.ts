/**
 * The workflow files deployed to an environment, read at synth time with the project's own
 * loader: an invalid workflow fails the synth with its file:line:column diagnostics instead
 * of failing every cold start later. The same files are copied into each function's bundle.
 */
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { formatDiagnostic } from "../src/workflow/diagnostics.js";
import { loadWorkflowFile } from "../src/workflow/load.js";
import type { Workflow } from "../src/workflow/model.js";
import { eventBridgeExpression } from "./schedule-expression.js";

export interface DeployedWorkflow {
  /** Absolute path of the YAML file. */
  readonly file: string;
  readonly workflow: Workflow;
}

/** A file to ship: `target` is relative to the bundle's `workflows/` folder. */
export interface BundledFile {
  readonly source: string;
  readonly target: string;
}

export interface WorkflowSet {
  readonly workflows: readonly DeployedWorkflow[];
  /** The YAML files and the files they reference (descriptor sets, certificates). */
  readonly files: readonly BundledFile[];
}

export class WorkflowSetError extends Error {
  override readonly name = "WorkflowSetError";
}

/** Expands `patterns` (relative to `rootDir`), loads every file and checks the set. */
export async function loadWorkflowSet(
  patterns: readonly string[],
  rootDir: string,
): Promise<WorkflowSet> {
  const problems: string[] = [];
  const shown = (file: string) => {
    const path = relative(rootDir, file);
    return path.startsWith("..") ? file : path;
  };
  const paths = [...new Set(patterns.flatMap((p) => expand(p, rootDir, problems)))];
  const workflows: DeployedWorkflow[] = [];
  for (const file of paths) {
    const result = await loadWorkflowFile(file);
    if (!result.ok) {
      problems.push(
        ...result.diagnostics.map((d) => formatDiagnostic({ ...d, file: shown(d.file) })),
      );
      continue;
    }
    workflows.push({ file, workflow: result.workflow });
    problems.push(...unschedulable(result.workflow).map((p) => `${shown(file)}: ${p}`));
  }
  const files = problems.length === 0 ? bundledFiles(workflows, problems) : [];
  if (problems.length > 0) {
    throw new WorkflowSetError(`deployed workflows are invalid:\n${problems.join("\n")}`);
  }
  return { workflows, files };
}

/** Schedules the language accepts but EventBridge Scheduler cannot express. */
function unschedulable(workflow: Workflow): string[] {
  return workflow.triggers.flatMap((trigger, index) => {
    if (trigger.kind !== "schedule") return [];
    try {
      eventBridgeExpression(trigger);
      return [];
    } catch (error) {
      return [`triggers[${index}].schedule: ${(error as Error).message}`];
    }
  });
}

/** A path, or a folder plus a file-name pattern with `*` and `?`. */
function expand(pattern: string, rootDir: string, problems: string[]): string[] {
  const path = resolve(rootDir, pattern);
  const name = basename(path);
  if (/[*?]/.test(dirname(path))) {
    problems.push(`${pattern}: wildcards are only allowed in the file name`);
    return [];
  }
  if (!/[*?]/.test(name)) {
    if (existsSync(path)) return [path];
    problems.push(`${pattern}: no such workflow file`);
    return [];
  }
  const regex = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")}$`,
  );
  const dir = dirname(path);
  const matches = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => regex.test(f))
        .sort()
        .map((f) => join(dir, f))
    : [];
  if (matches.length === 0) problems.push(`${pattern}: matches no workflow file`);
  return matches;
}

/**
 * The runtime reads every YAML file in one flat folder, so names must not clash; files a
 * workflow references keep their place relative to it, which must be inside its folder.
 */
function bundledFiles(workflows: readonly DeployedWorkflow[], problems: string[]): BundledFile[] {
  const targets = new Map<string, string>();
  const versions = new Map<string, string>();
  const add = (source: string, target: string, owner: string) => {
    const existing = targets.get(target);
    if (existing !== undefined && existing !== source) {
      problems.push(`${owner}: ${target} would overwrite ${existing} in the bundle`);
    }
    targets.set(target, source);
  };
  for (const { file, workflow } of workflows) {
    const id = `${workflow.name}@${workflow.version}`;
    const other = versions.get(id);
    if (other !== undefined) problems.push(`${file}: ${id} is also defined in ${other}`);
    versions.set(id, file);
    add(file, basename(file), file);
    for (const service of workflow.services.values()) {
      const referenced = [
        service.descriptors,
        service.tls?.ca,
        service.tls?.cert,
        service.tls?.key,
      ];
      for (const source of referenced) {
        if (source === undefined) continue;
        const target = relative(dirname(file), source);
        if (target.startsWith(`..${sep}`) || isAbsolute(target)) {
          problems.push(
            `${file}: service ${service.name} references ${source}, outside the workflow's folder; it cannot be shipped with the workflow`,
          );
        } else if (!existsSync(source)) {
          problems.push(
            `${file}: service ${service.name} references ${source}, which does not exist`,
          );
        } else {
          add(source, target.split(sep).join("/"), file);
        }
      }
    }
  }
  return [...targets].map(([target, source]) => ({ source, target }));
}
