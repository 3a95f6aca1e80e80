/**
 * Workflow definitions over HTTP: register a version (validated before anything is
 * written; immutable afterwards), list workflows, read versions.
 */
import type { Hono } from "hono";
import type { WorkflowRegistry } from "../ports/workflow-registry.js";
import { DefinitionConflictError } from "../ports/workflow-registry.js";
import { digestOf } from "../runtime/registry-catalog.js";
import { compareVersions } from "../runtime/workflow-source.js";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { loadWorkflow } from "../workflow/load.js";
import type { Auth } from "./auth.js";
import { problem } from "./problem.js";

/** MAJOR.MINOR.PATCH with an optional pre-release, as semver.org writes it. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function workflowRoutes(
  app: Hono,
  registry: WorkflowRegistry,
  now: () => number,
  auth: Auth,
): void {
  app.put("/v1/workflows/:name/versions/:version", async (c) => {
    const { name, version } = c.req.param();
    auth.authorize(c, "workflows:register", name);
    if (!SEMVER.test(version)) {
      throw problem(
        400,
        "invalid_version",
        `version "${version}" is not a semantic version such as 1.4.0`,
        "version",
      );
    }
    const source = await c.req.text();
    const result = loadWorkflow(source, `${name}@${version}.yaml`);
    if (!result.ok) {
      return c.json(
        {
          type: "about:blank",
          title: "invalid_workflow",
          status: 422,
          code: "invalid_workflow",
          detail: `the workflow has ${result.diagnostics.length} error(s)`,
          errors: result.diagnostics.map(formatDiagnostic),
        },
        422,
        { "content-type": "application/problem+json" },
      );
    }
    if (result.workflow.name !== name) {
      throw problem(
        422,
        "name_mismatch",
        `the file names workflow "${result.workflow.name}", the path "${name}"`,
        "name",
      );
    }
    if (result.workflow.version !== version) {
      throw problem(
        422,
        "version_mismatch",
        `the file has version "${result.workflow.version}", the path "${version}"`,
        "version",
      );
    }
    try {
      const outcome = await registry.register({
        name,
        version,
        source,
        digest: digestOf(source),
        createdAt: now(),
      });
      return c.json({ name, version, status: outcome }, outcome === "created" ? 201 : 200);
    } catch (error) {
      if (error instanceof DefinitionConflictError) {
        throw problem(
          409,
          "version_exists",
          `${error.message}; register a new version instead`,
          "version",
        );
      }
      throw error;
    }
  });

  app.get("/v1/workflows", async (c) => {
    // Only the workflows this caller may read.
    const names = (await registry.names()).filter((name) => {
      try {
        auth.authorize(c, "workflows:read", name);
        return true;
      } catch {
        return false;
      }
    });
    const workflows = await Promise.all(
      names.map(async (name) => {
        const versions = (await registry.versions(name))
          .map((d) => d.version)
          .sort(compareVersions);
        return { name, latest: versions[versions.length - 1], versions };
      }),
    );
    return c.json({ workflows });
  });

  app.get("/v1/workflows/:name", async (c) => {
    const name = c.req.param("name");
    auth.authorize(c, "workflows:read", name);
    const versions = [...(await registry.versions(name))].sort((a, b) =>
      compareVersions(a.version, b.version),
    );
    if (versions.length === 0)
      throw problem(404, "workflow_not_found", `workflow ${name} is not registered`);
    return c.json({
      name,
      latest: versions[versions.length - 1]?.version,
      versions: versions.map((d) => ({
        version: d.version,
        digest: d.digest,
        createdAt: new Date(d.createdAt).toISOString(),
      })),
    });
  });

  app.get("/v1/workflows/:name/versions/:version", async (c) => {
    const { name, version } = c.req.param();
    auth.authorize(c, "workflows:read", name);
    const d = await registry.get(name, version);
    if (!d)
      throw problem(404, "workflow_not_found", `workflow ${name}@${version} is not registered`);
    return c.json({
      name,
      version,
      digest: d.digest,
      createdAt: new Date(d.createdAt).toISOString(),
      source: d.source,
    });
  });
}
