/**
 * The API's OpenAPI 3.1 description, served at /openapi.json, and a small reference page
 * rendered from it at /docs (no external scripts: the page works offline).
 */
import type { Hono } from "hono";
import { escapeHtml } from "./html.js";

const problem = { $ref: "#/components/schemas/Problem" };
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((code) => [
      String(code),
      {
        description: "Problem details",
        content: { "application/problem+json": { schema: problem } },
      },
    ]),
  );
const json = (schema: object, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});
const html = {
  description: "An HTML page",
  content: { "text/html": { schema: { type: "string" } } },
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const runId = { name: "id", in: "path", required: true, schema: { type: "string" } };

export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "Maestro API",
    version: "1",
    description:
      "Register versioned workflow definitions, start runs (idempotently, with an Idempotency-Key header), read their status and timeline, cancel and redrive them. Errors are RFC 9457 problem details with a stable `code` and, where it applies, the `field` at fault.",
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    schemas: {
      Problem: {
        type: "object",
        required: ["status", "code", "detail"],
        properties: {
          type: { type: "string" },
          title: { type: "string" },
          status: { type: "integer" },
          code: { type: "string" },
          detail: { type: "string" },
          field: { type: "string" },
          errors: {
            type: "array",
            items: { type: "string" },
            description: "file:line:column messages",
          },
        },
      },
      RunStatus: {
        type: "string",
        enum: [
          "pending",
          "running",
          "succeeded",
          "compensating",
          "compensated",
          "failed",
          "compensation_failed",
          "cancelled",
        ],
      },
      RunSummary: {
        type: "object",
        properties: {
          runId: { type: "string" },
          workflow: { type: "string" },
          version: { type: "string" },
          status: ref("RunStatus"),
        },
      },
      RedriveRequest: {
        type: "object",
        additionalProperties: false,
        description:
          "Optional: an empty body redrives the run on the version it is on. A `failed` run resumes from the failed step (completed steps keep their outputs); a `compensation_failed` run retries its parked compensations.",
        properties: {
          version: {
            type: "string",
            description:
              "A newer registered version of the run's workflow to continue on. Every step that completed must exist in it with the same id, service, method and output name, and depend there only on steps that completed or were skipped; otherwise 422 `version_does_not_map` naming the step. A lower version is 422 `version_not_newer`, an unregistered one 404.",
          },
          reason: { type: "string", maxLength: 500, description: "Why, recorded in the saga log" },
          by: {
            type: "string",
            maxLength: 500,
            description:
              "Who asks, recorded in the saga log. With authentication on it is the token's subject.",
          },
        },
      },
      Run: {
        allOf: [
          ref("RunSummary"),
          {
            type: "object",
            properties: {
              createdAt: { type: "string", format: "date-time" },
              updatedAt: { type: "string", format: "date-time" },
              input: {},
              output: {},
              error: { type: "object" },
              waitingFor: {
                type: "string",
                enum: ["concurrency_slot"],
                description:
                  "Set while the running run waits as a whole: its workflow's concurrency limit holds it back until a slot frees.",
              },
              steps: {
                type: "array",
                items: { type: "object" },
                description: "per-step timeline: attempts, durations, errors, compensations",
              },
            },
          },
        ],
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    "/v1/workflows": {
      get: {
        summary: "List workflows with their versions",
        responses: { 200: json({ type: "object" }), ...errors(401, 403) },
      },
    },
    "/v1/workflows/{name}": {
      get: {
        summary: "A workflow's versions and latest",
        parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
        responses: { 200: json({ type: "object" }), ...errors(401, 403, 404) },
      },
    },
    "/v1/workflows/{name}/versions/{version}": {
      put: {
        summary:
          "Register a version (YAML body). Validated before anything is written; immutable after.",
        parameters: [
          { name: "name", in: "path", required: true, schema: { type: "string" } },
          {
            name: "version",
            in: "path",
            required: true,
            schema: { type: "string", description: "semantic version" },
          },
        ],
        requestBody: {
          required: true,
          content: { "application/yaml": { schema: { type: "string" } } },
        },
        responses: {
          200: json({ type: "object" }, "Already registered with the same content"),
          201: json({ type: "object" }, "Registered"),
          ...errors(400, 401, 403, 409, 422),
        },
      },
      get: {
        summary: "A registered version and its YAML",
        parameters: [
          { name: "name", in: "path", required: true, schema: { type: "string" } },
          { name: "version", in: "path", required: true, schema: { type: "string" } },
        ],
        responses: { 200: json({ type: "object" }), ...errors(401, 403, 404) },
      },
    },
    "/v1/runs": {
      post: {
        summary: "Start a run",
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            schema: { type: "string" },
            description:
              "The same key and request return the first run (200); a different request is 422.",
          },
        ],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["workflow"],
                properties: {
                  workflow: { type: "string" },
                  version: { type: "string" },
                  input: {},
                },
              },
            },
          },
        },
        responses: {
          200: json(ref("RunSummary"), "The run this key started before"),
          201: json(ref("RunSummary"), "Started"),
          ...errors(400, 401, 403, 404, 413, 422, 429),
        },
      },
      get: {
        summary: "List runs, newest first",
        parameters: [
          { name: "workflow", in: "query", schema: { type: "string" } },
          { name: "status", in: "query", schema: ref("RunStatus") },
          {
            name: "limit",
            in: "query",
            schema: { type: "integer", minimum: 1, maximum: 1000, default: 50 },
          },
          { name: "cursor", in: "query", schema: { type: "string" } },
        ],
        responses: { 200: json({ type: "object" }), ...errors(400, 401, 403) },
      },
    },
    "/v1/runs/{id}": {
      get: {
        summary: "A run with its timeline (the run page instead when Accept prefers text/html)",
        parameters: [runId],
        responses: {
          200: {
            description: "OK",
            content: {
              "application/json": { schema: ref("Run") },
              "text/html": { schema: { type: "string" } },
            },
          },
          ...errors(401, 403, 404),
        },
      },
    },
    "/v1/runs/{id}/events": {
      get: {
        summary: "The run's saga log as server-sent events, live; resumable with Last-Event-ID",
        parameters: [runId, { name: "Last-Event-ID", in: "header", schema: { type: "string" } }],
        responses: {
          200: {
            description: "text/event-stream: id = sequence number, event = type, data = the event",
          },
          ...errors(401, 403, 404, 501),
        },
      },
    },
    "/v1/runs/{id}/signals/{name}": {
      post: {
        summary:
          "Send a named signal (an approval, a callback); the step waiting for it completes with the JSON body as its output",
        parameters: [
          runId,
          { name: "name", in: "path", required: true, schema: { type: "string" } },
        ],
        requestBody: { content: { "application/json": { schema: {} } } },
        responses: { 202: json(ref("RunSummary")), ...errors(400, 401, 403, 404, 409) },
      },
    },
    "/v1/runs/{id}/cancel": {
      post: {
        summary: "Cancel: undo what completed",
        parameters: [runId],
        responses: { 202: json(ref("RunSummary")), ...errors(401, 403, 404, 409) },
      },
    },
    "/v1/runs/{id}/redrive": {
      post: {
        summary:
          "Redrive a finished run: resume a failed run from the failed step (optionally onto a newer version), or retry a parked run's compensations. Other statuses are 409 `not_redrivable`.",
        parameters: [runId],
        requestBody: { content: { "application/json": { schema: ref("RedriveRequest") } } },
        responses: {
          202: json(ref("RunSummary")),
          ...errors(400, 401, 403, 404, 409, 422),
        },
      },
    },
    "/ui/runs": {
      get: {
        summary: "Recent runs as an HTML page, linking to each run's page",
        parameters: [
          { name: "workflow", in: "query", schema: { type: "string" } },
          { name: "status", in: "query", schema: ref("RunStatus") },
          { name: "cursor", in: "query", schema: { type: "string" } },
        ],
        responses: { 200: html, ...errors(400, 401, 403) },
      },
    },
    "/ui/runs/{id}": {
      get: {
        summary:
          "A run as an HTML page: the step graph coloured by status, attempts, durations, errors and compensations; live while the run runs",
        parameters: [runId],
        responses: {
          200: html,
          404: { description: "An HTML page: no such run" },
          ...errors(401, 403),
        },
      },
    },
    "/runs/{id}": {
      get: {
        summary: "The run page for browsers (Accept: text/html); 406 for other clients",
        parameters: [runId],
        responses: {
          200: html,
          404: { description: "An HTML page: no such run" },
          ...errors(401, 403, 406),
        },
      },
    },
    "/healthz": {
      get: {
        summary: "The process is alive",
        security: [],
        responses: { 200: json({ type: "object" }) },
      },
    },
    "/readyz": {
      get: {
        summary:
          "Store reachable and the queue's depth readable; the queue check shows depth, bound and overflowing",
        security: [],
        responses: {
          200: json({ type: "object" }),
          503: json({ type: "object" }, "Not ready, with what failed"),
        },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics (on Lambda: queue depth, backlog bound, refused runs)",
        security: [],
        responses: { 200: { description: "text exposition format" } },
      },
    },
  },
} as const;

/** A plain HTML reference rendered on the server from the document above. */
export function referencePage(): string {
  const rows = Object.entries(OPENAPI.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const o = op as { summary: string; responses: Record<string, unknown> };
      return `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(o.summary)}</td><td>${Object.keys(o.responses).join(" ")}</td></tr>`;
    }),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>Maestro API</title><style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}td{padding:.3rem .8rem;border-bottom:1px solid #ddd;vertical-align:top}code{font-size:.95em}</style></head><body><h1>Maestro API</h1><p>${escapeHtml(OPENAPI.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p><table><tr><th>Method</th><th>Path</th><th>What</th><th>Responses</th></tr>${rows.join("")}</table></body></html>`;
}

export function openApiRoutes(app: Hono): void {
  app.get("/openapi.json", (c) => c.json(OPENAPI));
  app.get("/docs", (c) => c.html(referencePage()));
}
