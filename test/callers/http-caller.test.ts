import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpCaller } from "../../src/callers/http-caller.js";
import type { ErrorInfo } from "../../src/errors.js";
import type { CallRequest, CallResult } from "../../src/ports/service-caller.js";
import type { ServiceDefinition } from "../../src/workflow/model.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A server that counts its connections and answers with `handle`, once the body is in. */
async function startServer(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, connections: () => connections };
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
}

/** The main test server: routes on the first path segment. */
function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const [, first, second] = url.pathname.split("/");
  const seen: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
  switch (first) {
    case "status": {
      const status = Number(second);
      const headers: Record<string, string> = {};
      const retryAfter = url.searchParams.get("retryAfter");
      if (retryAfter !== null) headers["retry-after"] = retryAfter;
      if (url.searchParams.has("text")) {
        res.writeHead(status, { ...headers, "content-type": "text/plain" });
        res.end("é".repeat(3000));
      } else if (status >= 300 && status < 400) {
        res.writeHead(status, { location: "/elsewhere?token=secret" });
        res.end();
      } else {
        sendJson(res, status, { error: `failed with ${status}` }, headers);
      }
      return;
    }
    case "slow": {
      const timer = setTimeout(() => sendJson(res, 200, { late: true }), 1000);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    case "no-content":
      res.writeHead(204);
      res.end();
      return;
    case "empty":
      res.writeHead(200, { "content-type": "application/json" });
      res.end();
      return;
    case "html":
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<html>${"x".repeat(500)}</html>`);
      return;
    case "big": {
      // Chunked, so only streaming (not content-length) can catch it.
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      for (let i = 0; i < 100; i += 1) res.write(`${JSON.stringify("y".repeat(300))},`);
      res.end("0]");
      return;
    }
    case "big-declared": {
      const text = JSON.stringify("z".repeat(10_000));
      res.writeHead(200, { "content-type": "application/json", "content-length": text.length });
      res.end(text);
      return;
    }
    default:
      sendJson(res, 200, seen);
  }
}

function service(...endpoints: string[]): ServiceDefinition {
  return {
    name: "crm",
    type: "http",
    endpoints,
    timeoutMs: 1000,
    retry: {
      maxAttempts: 3,
      initialIntervalMs: 100,
      backoffCoefficient: 2,
      maxIntervalMs: 1000,
      jitter: "none",
      retryableErrors: [],
      nonRetryableErrors: [],
    },
    headers: {},
  };
}

let main: Awaited<ReturnType<typeof startServer>>;

function request(method: string, overrides: Partial<CallRequest> = {}): CallRequest {
  return {
    service: service(main.url),
    method,
    input: undefined,
    headers: {},
    idempotencyKey: "run-1/step-a",
    attempt: 1,
    correlationId: "corr-1",
    timeoutMs: 1000,
    ...overrides,
  };
}

function output(result: CallResult): unknown {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.output;
}

function failure(result: CallResult): ErrorInfo {
  if (result.ok) throw new Error(`expected failure, got ${JSON.stringify(result.output)}`);
  return result.error;
}

beforeAll(async () => {
  main = await startServer(route);
});

afterAll(async () => {
  await stopServer(main.server);
});

describe("createHttpCaller: requests", () => {
  const caller = createHttpCaller();

  it("sends a JSON body with the method's and the request's query, and parses the JSON reply", async () => {
    const result = await caller.call(
      request("post /contacts?source=import", {
        input: { name: "Ada", tags: ["x"] },
        query: { page: "2", q: "a b&c" },
      }),
    );
    const seen = output(result) as Seen;
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/contacts?source=import&page=2&q=a%20b%26c");
    expect(JSON.parse(seen.body)).toEqual({ name: "Ada", tags: ["x"] });
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.headers.accept).toBe("application/json");
  });

  it("keeps percent-encoded path values as they are", async () => {
    const seen = output(await caller.call(request("DELETE /contacts/a%2Fb"))) as Seen;
    expect(seen.method).toBe("DELETE");
    expect(seen.url).toBe("/contacts/a%2Fb");
    expect(seen.body).toBe("");
    expect(seen.headers["content-type"]).toBeUndefined();
  });

  it("sends a DELETE body only when there is input, and never a GET body", async () => {
    const del = output(await caller.call(request("DELETE /contacts/1", { input: { why: "dup" } })));
    expect((del as Seen).body).toBe('{"why":"dup"}');
    const get = output(await caller.call(request("GET /contacts/1", { input: { ignored: true } })));
    expect((get as Seen).body).toBe("");
  });

  it("joins an endpoint's base path, tolerating slashes", async () => {
    for (const [endpoint, method] of [
      [`${main.url}/api`, "GET /contacts"],
      [`${main.url}/api/`, "GET contacts"],
      [`${main.url}/api//`, "GET //contacts"],
    ] as const) {
      const seen = output(
        await caller.call(request(method, { service: service(endpoint) })),
      ) as Seen;
      expect(seen.url).toBe("/api/contacts");
    }
  });

  it("sends Maestro's headers, which the request's own headers cannot override", async () => {
    const seen = output(
      await caller.call(
        request("GET /contacts", {
          attempt: 3,
          trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
          headers: {
            authorization: "Bearer t0ken",
            "X-Custom": "yes",
            "Idempotency-Key": "forged",
            "x-maestro-attempt": "99",
            "X-Correlation-Id": "forged",
          },
        }),
      ),
    ) as Seen;
    expect(seen.headers["idempotency-key"]).toBe("run-1/step-a");
    expect(seen.headers["x-maestro-attempt"]).toBe("3");
    expect(seen.headers["x-correlation-id"]).toBe("corr-1");
    // No tracing SDK in this process: the run's recorded trace context is passed on.
    expect(seen.headers.traceparent).toBe(
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    );
    expect(seen.headers.authorization).toBe("Bearer t0ken");
    expect(seen.headers["x-custom"]).toBe("yes");
    expect(seen.headers["user-agent"]).toBe("maestro");
  });

  it("uses the configured user agent", async () => {
    const custom = createHttpCaller({ userAgent: "maestro-test/1" });
    const seen = output(await custom.call(request("GET /contacts"))) as Seen;
    expect(seen.headers["user-agent"]).toBe("maestro-test/1");
    expect(seen.headers.traceparent).toBeUndefined();
  });

  it("refuses invalid header values without quoting them", async () => {
    const error = failure(
      await caller.call(request("GET /x", { headers: { authorization: "Bearer s3cret\nx" } })),
    );
    expect(error.code).toBe("invalid_argument");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("authorization");
    expect(error.message).not.toContain("s3cret");
  });

  it("refuses headers the HTTP client manages", async () => {
    const error = failure(
      await caller.call(request("GET /x", { headers: { "Transfer-Encoding": "chunked" } })),
    );
    expect(error).toMatchObject({ code: "invalid_argument", retryable: false });
  });

  it("refuses endpoints that are not http(s), and dot segments in the path", async () => {
    for (const endpoint of ["ftp://127.0.0.1/", "127.0.0.1:8080", "not a url"]) {
      const error = failure(await caller.call(request("GET /x", { service: service(endpoint) })));
      expect(error).toMatchObject({ code: "invalid_argument", retryable: false });
    }
    for (const method of ["DELETE /contacts/..", "DELETE /contacts/%2E%2e/admin", "GET /./x"]) {
      const error = failure(await caller.call(request(method)));
      expect(error).toMatchObject({ code: "invalid_argument", retryable: false });
    }
    const none = failure(await caller.call(request("GET /x", { service: service() })));
    expect(none).toMatchObject({ code: "invalid_argument", retryable: false });
  });

  it("refuses input that is not JSON", async () => {
    const error = failure(await caller.call(request("POST /x", { input: { n: 1n } })));
    expect(error).toMatchObject({ code: "invalid_argument", retryable: false });
  });
});

describe("createHttpCaller: responses", () => {
  const caller = createHttpCaller({ maxResponseBytes: 50_000 });

  it("returns null for 204 and for an empty 2xx body", async () => {
    expect(output(await caller.call(request("DELETE /no-content/1")))).toBeNull();
    expect(output(await caller.call(request("POST /empty", { input: {} })))).toBeNull();
  });

  it("fails a non-JSON 2xx body as a terminal invalid_response", async () => {
    const error = failure(await caller.call(request("GET /html")));
    expect(error.code).toBe("invalid_response");
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(200);
    expect(error.message).toContain("text/html");
    expect(error.message).toContain("<html>xxx");
    expect(error.message.length).toBeLessThan(400);
  });

  it("stops reading a body over maxResponseBytes: payload_too_large, terminal", async () => {
    for (const path of ["/big", "/big-declared"]) {
      const small = createHttpCaller({ maxResponseBytes: 5_000 });
      const error = failure(await small.call(request(`GET ${path}`)));
      expect(error).toMatchObject({ code: "payload_too_large", retryable: false, status: 200 });
    }
    // The same bodies fit under the caller's larger limit.
    expect(output(await caller.call(request("GET /big")))).toHaveLength(101);
  });

  it.each([
    [400, "invalid_argument", false],
    [401, "unauthenticated", false],
    [403, "permission_denied", false],
    [404, "not_found", false],
    [408, "deadline_exceeded", true],
    [409, "already_exists", false],
    [412, "failed_precondition", false],
    [416, "out_of_range", false],
    [418, "failed_precondition", false],
    [422, "failed_precondition", false],
    [429, "resource_exhausted", true],
    [500, "internal", true],
    [501, "unimplemented", true],
    [502, "unavailable", true],
    [503, "unavailable", true],
    [504, "deadline_exceeded", true],
    [507, "internal", true],
  ] as const)("classifies %i as %s (retryable %s)", async (status, code, retryable) => {
    const error = failure(await caller.call(request(`POST /status/${status}`, { input: {} })));
    expect(error).toMatchObject({ code, retryable, status });
    expect(error.details).toEqual({ error: `failed with ${status}` });
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("names the verb, URL and status in the message, without the query", async () => {
    const error = failure(await caller.call(request("POST /status/503?token=secret")));
    expect(error.message).toBe(`POST ${main.url}/status/503: 503 Service Unavailable`);
  });

  it("keeps at most 2 KB of a non-JSON error body", async () => {
    const error = failure(await caller.call(request("GET /status/500?text")));
    expect(typeof error.details).toBe("string");
    const details = error.details as string;
    expect(Buffer.byteLength(details)).toBeLessThanOrEqual(2048);
    expect(details).toBe("é".repeat(1024));
  });

  it("reports a redirect instead of following it", async () => {
    const error = failure(await caller.call(request("POST /status/302", { input: {} })));
    expect(error).toMatchObject({ code: "failed_precondition", retryable: false, status: 302 });
    expect(error.message).toContain(`${main.url}/elsewhere`);
    expect(error.message).not.toContain("secret");
  });

  it("reads Retry-After as seconds or as an HTTP date", async () => {
    const seconds = failure(await caller.call(request("GET /status/503?retryAfter=3")));
    expect(seconds.retryAfterMs).toBe(3000);

    const date = new Date(Date.now() + 30_000).toUTCString();
    const dated = failure(
      await caller.call(request(`GET /status/429?retryAfter=${encodeURIComponent(date)}`)),
    );
    expect(dated.retryAfterMs).toBeGreaterThan(27_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);

    const past = new Date(Date.now() - 60_000).toUTCString();
    const late = failure(
      await caller.call(request(`GET /status/503?retryAfter=${encodeURIComponent(past)}`)),
    );
    expect(late.retryAfterMs).toBe(0);
  });
});

describe("createHttpCaller: deadlines and the network", () => {
  const caller = createHttpCaller();

  it("fails with a retryable deadline_exceeded when the service is slower than timeoutMs", async () => {
    const started = Date.now();
    const error = failure(await caller.call(request("GET /slow", { timeoutMs: 150 })));
    expect(error).toMatchObject({ code: "deadline_exceeded", retryable: true });
    expect(error.message).toContain("150 ms");
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("fails with a terminal canceled when the worker's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = failure(
      await caller.call(request("GET /slow", { timeoutMs: 5000, signal: controller.signal })),
    );
    expect(error).toMatchObject({ code: "canceled", retryable: false });

    const aborted = failure(
      await caller.call(request("GET /contacts", { signal: AbortSignal.abort() })),
    );
    expect(aborted).toMatchObject({ code: "canceled", retryable: false });
  });

  it("fails with a retryable unavailable when the connection is refused", async () => {
    const closed = await startServer(() => {});
    await stopServer(closed.server);
    const error = failure(
      await caller.call(request("GET /contacts", { service: service(closed.url) })),
    );
    expect(error).toMatchObject({ code: "unavailable", retryable: true });
    expect(error.message).toContain(`GET ${closed.url}/contacts: `);
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("fails with a retryable unavailable when the server drops the connection", async () => {
    const rude = await startServer((req) => req.socket.destroy());
    try {
      const error = failure(await caller.call(request("GET /x", { service: service(rude.url) })));
      expect(error).toMatchObject({ code: "unavailable", retryable: true });
    } finally {
      await stopServer(rude.server);
    }
  });

  it("turns an exception from fetch into a result", async () => {
    const broken = createHttpCaller({
      fetch: () => {
        throw new Error("boom");
      },
    });
    const error = failure(await broken.call(request("GET /x")));
    expect(error.code).toBe("unknown");
    expect(error.message).toContain("boom");
  });
});

describe("createHttpCaller: endpoints and connections", () => {
  it("spreads calls round-robin over a service's endpoints", async () => {
    const counts = [0, 0];
    const one = await startServer((_req, res) => {
      counts[0] = (counts[0] ?? 0) + 1;
      sendJson(res, 200, { server: 1 });
    });
    const two = await startServer((_req, res) => {
      counts[1] = (counts[1] ?? 0) + 1;
      sendJson(res, 200, { server: 2 });
    });
    try {
      const caller = createHttpCaller();
      const crm = service(one.url, `${two.url}/`);
      const outputs: unknown[] = [];
      for (let i = 0; i < 4; i += 1) {
        outputs.push(output(await caller.call(request("GET /contacts", { service: crm }))));
      }
      expect(counts).toEqual([2, 2]);
      expect(outputs).toEqual([{ server: 1 }, { server: 2 }, { server: 1 }, { server: 2 }]);
    } finally {
      await stopServer(one.server);
      await stopServer(two.server);
    }
  });

  it("reuses one kept-alive connection for sequential calls", async () => {
    const server = await startServer((req, res) =>
      req.url === "/missing" ? sendJson(res, 404, { error: "nope" }) : sendJson(res, 200, {}),
    );
    try {
      const caller = createHttpCaller();
      for (let i = 0; i < 5; i += 1) {
        // A failure's body is drained too, so it does not cost the connection either.
        const method = i === 2 ? "GET /missing" : "GET /contacts";
        await caller.call(request(method, { service: service(server.url) }));
        // undici hands a socket back to its pool a tick after the body ends; a call issued in
        // that same tick opens a second socket. Real callers always yield in between.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(server.connections()).toBe(1);

      // Back to back, without yielding: still kept alive, at most the one extra socket.
      for (let i = 0; i < 6; i += 1) {
        output(await caller.call(request("GET /contacts", { service: service(server.url) })));
      }
      expect(server.connections()).toBeLessThanOrEqual(2);
    } finally {
      await stopServer(server.server);
    }
  });
});
