/**
 * The caller for `type: http` services: plain JSON over HTTP/1.1 with the global `fetch`
 * (undici, which keeps connections alive). Every outcome, including network failures and
 * timeouts, comes back as a classified `CallResult`. This module does not log: header values
 * and bodies may hold secrets.
 */
import { STATUS_CODES } from "node:http";
import { type ErrorCode, MaestroError } from "../errors.js";
import type { CallRequest, CallResult, ServiceCaller } from "../ports/service-caller.js";
import type { ServiceDefinition } from "../workflow/model.js";
import { type CallDeadline, startDeadline } from "./call-deadline.js";
import { type ClientSpan, inClientSpan, serverAttributes } from "./client-span.js";
import { buildHeaders } from "./http-headers.js";
import { classifyStatus, parseRetryAfter } from "./http-status.js";
import { redact, resolveTarget } from "./http-target.js";
import { readBody } from "./read-body.js";

export interface HttpCallerOptions {
  /** The `fetch` to call through. Default: the global one. */
  readonly fetch?: typeof fetch;
  /** The largest response body accepted, in bytes after decompression. Default 5 MiB. */
  readonly maxResponseBytes?: number;
  /** Sent as `User-Agent` unless a call sets its own. Default `maestro`. */
  readonly userAgent?: string;
}

const DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
/** Error bodies only feed `details`; there is no use reading large ones. */
const ERROR_BODY_LIMIT = 16 * 1024;
/** Text error bodies are kept up to this many bytes in `details`, since it goes to the saga log. */
const ERROR_TEXT_LIMIT = 2048;
/** How much of a non-JSON success body the message quotes. */
const SNIPPET_CHARS = 200;

/** Creates the caller for `type: http` services. */
export function createHttpCaller(options: HttpCallerOptions = {}): ServiceCaller {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const userAgent = options.userAgent ?? "maestro";
  // Round-robin position per service. A failed call moves on too, so a retry tries the next
  // endpoint.
  const cursors = new Map<string, number>();

  function pickEndpoint(service: ServiceDefinition): string | undefined {
    const count = service.endpoints.length;
    if (count === 0) return undefined;
    const index = (cursors.get(service.name) ?? 0) % count;
    cursors.set(service.name, (index + 1) % count);
    return service.endpoints[index];
  }

  async function call(request: CallRequest, span: ClientSpan): Promise<CallResult> {
    const service = request.service.name;
    const endpoint = pickEndpoint(request.service);
    if (endpoint === undefined) {
      return fail("invalid_argument", `service "${service}" has no endpoints`);
    }
    const target = resolveTarget(endpoint, request.method, request.query);
    if ("problem" in target) {
      return fail("invalid_argument", `service "${service}": ${target.problem}`);
    }
    const { verb, url } = target;
    const where = `${verb} ${redact(url)}`;
    span.updateName(verb);
    // No query string and no credentials: the query may carry keys.
    span.set({ "http.request.method": verb, "url.full": redact(url), ...serverAttributes(url) });

    // GET and HEAD cannot carry a body; any other verb sends one only when there is input.
    let body: string | undefined;
    if (request.input !== undefined && verb !== "GET" && verb !== "HEAD") {
      try {
        body = JSON.stringify(request.input);
      } catch (error) {
        return fail("invalid_argument", `${where}: input is not JSON: ${messageOf(error)}`);
      }
    }
    const headers = buildHeaders(request, { userAgent, hasBody: body !== undefined });
    if ("problem" in headers) return fail("invalid_argument", `${where}: ${headers.problem}`);

    const deadline = startDeadline(request.timeoutMs, request.signal);
    try {
      let response: Response;
      try {
        response = await fetchFn(url, {
          method: verb,
          headers,
          body,
          signal: deadline.signal,
          // A 301/302/303 would turn a POST into a GET; a saga step must not change meaning
          // behind the workflow's back, so a redirect is reported instead of followed.
          redirect: "manual",
        });
      } catch (error) {
        return transportFailure(where, error, deadline, request.timeoutMs);
      }
      span.set({ "http.response.status_code": response.status });
      return response.ok
        ? await readSuccess(where, response, deadline, request.timeoutMs)
        : await readFailure(where, url, response);
    } finally {
      deadline.dispose();
    }
  }

  async function readSuccess(
    where: string,
    response: Response,
    deadline: CallDeadline,
    timeoutMs: number,
  ): Promise<CallResult> {
    let bytes: Uint8Array;
    try {
      const read = await readBody(response, maxResponseBytes);
      if (!read.complete) {
        return fail(
          "payload_too_large",
          `${where}: ${response.status} response body exceeds ${maxResponseBytes} bytes`,
          { status: response.status },
        );
      }
      bytes = read.bytes;
    } catch (error) {
      return transportFailure(where, error, deadline, timeoutMs);
    }

    if (response.status === 204 || response.status === 205) return { ok: true, output: null };
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return notJson(where, response, "");
    }
    if (text.trim() === "") return { ok: true, output: null };
    try {
      return { ok: true, output: JSON.parse(text) as unknown };
    } catch {
      return notJson(where, response, text);
    }
  }

  async function readFailure(where: string, url: URL, response: Response): Promise<CallResult> {
    const { status } = response;
    const { code, retryable } = classifyStatus(status);
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    let details: unknown;
    try {
      details = errorDetails(
        await readBody(response, Math.min(maxResponseBytes, ERROR_BODY_LIMIT)),
      );
    } catch {
      // The body was lost (deadline, reset); the status alone classifies the failure.
    }
    const reason = response.statusText || STATUS_CODES[status] || "";
    let message = `${where}: ${status}${reason === "" ? "" : ` ${reason}`}`;
    const location = response.headers.get("location");
    if (status >= 300 && status <= 399 && location !== null) {
      message += ` (redirects to ${describeLocation(location, url)}, not followed)`;
    }
    return fail(code, message, { retryable, status, retryAfterMs, details });
  }

  return {
    call(request) {
      return inClientSpan(request, `${request.service.name} call`, async (span) => {
        try {
          return await call(request, span);
        } catch (error) {
          // A bug or an exotic injected fetch; still a result, never a throw.
          return { ok: false, error: MaestroError.from(error).toInfo() };
        }
      });
    },
  };
}

function fail(
  code: ErrorCode,
  message: string,
  options: { retryable?: boolean; status?: number; retryAfterMs?: number; details?: unknown } = {},
): CallResult {
  const error = new MaestroError(code, message, { retryable: false, ...withoutUndefined(options) });
  return { ok: false, error: error.toInfo() };
}

/** Keeps `undefined` entries from overriding the defaults they sit next to. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function notJson(where: string, response: Response, text: string): CallResult {
  const contentType = response.headers.get("content-type") ?? "none";
  const snippet = text.slice(0, SNIPPET_CHARS);
  return fail(
    "invalid_response",
    `${where}: ${response.status} response is not JSON (content-type ${contentType}): ${snippet}`,
    { status: response.status },
  );
}

/** Why the exchange itself failed: our deadline, the worker giving up, or the network. */
function transportFailure(
  where: string,
  error: unknown,
  deadline: CallDeadline,
  timeoutMs: number,
): CallResult {
  const cause = deadline.cause();
  if (cause === "timeout") {
    return fail("deadline_exceeded", `${where}: no complete response within ${timeoutMs} ms`, {
      retryable: true,
    });
  }
  if (cause === "canceled") return fail("canceled", `${where}: call canceled`);
  const code = systemCode(error);
  if (code !== undefined) {
    // Refused, reset, DNS, TLS, socket closed mid-response: the service may be back next time.
    return fail("unavailable", `${where}: ${describe(error)}`, {
      retryable: true,
      details: { code },
    });
  }
  const wrapped = MaestroError.from(error);
  return {
    ok: false,
    error: { ...wrapped.toInfo(), message: `${where}: ${describe(error)}` },
  };
}

/**
 * The system or undici error code behind a failed fetch (`ECONNREFUSED`, `UND_ERR_SOCKET`…).
 * undici wraps it as `TypeError("fetch failed", { cause })`, and a refused dual-stack connect
 * nests it further inside an AggregateError.
 */
function systemCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== "object" || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && code !== "") return code;
  const fromCause = systemCode(cause, depth + 1);
  if (fromCause !== undefined) return fromCause;
  return Array.isArray(errors) ? systemCode(errors[0], depth + 1) : undefined;
}

/** `fetch failed` says nothing; the innermost cause's message says what happened. */
function describe(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4; depth += 1) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (!(cause instanceof Error) || cause.message === "") break;
    current = cause;
  }
  return messageOf(current);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The parsed JSON error body, else the start of its text; undefined when empty. */
function errorDetails(read: { bytes: Uint8Array; complete: boolean }): unknown {
  if (read.bytes.byteLength === 0) return undefined;
  if (read.complete) {
    try {
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(read.bytes)) as unknown;
    } catch {
      // Not JSON: fall through to text.
    }
  }
  // `stream: true` holds back a character cut in half at the limit instead of mangling it.
  return new TextDecoder().decode(read.bytes.subarray(0, ERROR_TEXT_LIMIT), { stream: true });
}

function describeLocation(location: string, base: URL): string {
  try {
    return redact(new URL(location, base));
  } catch {
    return "an invalid location";
  }
}
