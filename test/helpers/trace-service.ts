/**
 * A loopback HTTP service for tracing tests: it records the path and the trace headers of
 * every call, and answers 503 to the first `failFirst[path]` calls of each step (per
 * idempotency key).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenCall {
  readonly path: string;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
}

export interface TraceService {
  readonly url: string;
  readonly calls: SeenCall[];
  close(): Promise<void>;
}

export async function startTraceService(failFirst: Record<string, number> = {}) {
  const calls: SeenCall[] = [];
  const failed = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0] ?? "";
      calls.push({
        path,
        traceparent: req.headers.traceparent as string | undefined,
        tracestate: req.headers.tracestate as string | undefined,
      });
      // Counted per idempotency key, so every run sees the same failures.
      const key = `${path} ${req.headers["idempotency-key"]}`;
      const seen = failed.get(key) ?? 0;
      failed.set(key, seen + 1);
      const left = (failFirst[path] ?? 0) - seen;
      // A careless service that echoes the caller's key in its reason phrase.
      const reason = left > 0 ? `busy for key ${req.headers["x-api-key"]}` : "OK";
      res.writeHead(left > 0 ? 503 : 200, reason, { "content-type": "application/json" });
      res.end(JSON.stringify(left > 0 ? { error: "busy" } : { id: `done:${path}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } satisfies TraceService;
}

/**
 * A workflow that sends a secret in a header and in the first step's query; with
 * `failFirst: { "/charge": 1 }` its second step fails once.
 */
export function tracedWorkflow(endpoint: string, name = "traced"): string {
  return `
name: ${name}
version: "1.0.0"
services:
  pay:
    type: http
    endpoint: "${endpoint}"
    headers: { x-api-key: '{{ secret "tenant" }}' }
    retry: { max_attempts: 3, initial_interval: 10ms, jitter: none }
steps:
  - { id: reserve, service: pay, method: POST /reserve, query: { tenant: '{{ secret "tenant" }}' }, output: reservation }
  - { id: charge, service: pay, method: POST /charge, depends_on: [reserve] }
`;
}

export const TENANT_SECRET = "t-s3cr3t-9f2c";
