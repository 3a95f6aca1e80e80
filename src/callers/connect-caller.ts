/**
 * The caller for `type: grpc | connect | grpc-web` services, with no generated code: the
 * method and its message types come from the service's descriptor set file or, without one,
 * from the server's gRPC reflection; the step's JSON input becomes the request through the
 * protobuf JSON mapping, and the reply comes back as JSON (see `grpc/json-codec.ts`).
 *
 * - Transports: `grpc` → gRPC over HTTP/2; `connect` → the Connect protocol over HTTP/2 by
 *   default (`connectHttpVersion: "1.1"` for servers behind HTTP/1.1-only proxies);
 *   `grpc-web` → gRPC-web over HTTP/2. `host:port` endpoints are h2c unless the service has
 *   `tls` settings; `https://` is TLS. One HTTP/2 session per endpoint serves every call and
 *   protocol; a service's endpoints are used round-robin.
 * - Every outcome comes back as a classified `CallResult` (see `grpc/error-mapping.ts`). This
 *   module does not log: metadata and messages may hold secrets.
 */
import type { DescMethodUnary, FileRegistry, Registry } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { Http2SessionOptions } from "@connectrpc/connect-node";
import { type ErrorInfo, MaestroError } from "../errors.js";
import type { CallRequest, CallResult, ServiceCaller } from "../ports/service-caller.js";
import type { ServiceDefinition } from "../workflow/model.js";
import { startDeadline } from "./call-deadline.js";
import { type ClientSpan, inClientSpan, serverAttributes } from "./client-span.js";
import { createChannelPool } from "./grpc/channels.js";
import { createDescriptorSource, untilAborted } from "./grpc/descriptor-source.js";
import { parseEndpoint } from "./grpc/endpoint.js";
import { errorInfoFrom, terminal } from "./grpc/error-mapping.js";
import { checkEndpointHealth, type EndpointHealth } from "./grpc/health-check.js";
import { toOutputJson, toRequestMessage } from "./grpc/json-codec.js";
import { buildMetadata } from "./grpc/metadata.js";
import { fullMethodName, resolveMethod } from "./grpc/method-resolution.js";

export { loadDescriptorSet } from "./grpc/descriptors.js";
export type { EndpointHealth } from "./grpc/health-check.js";
export {
  type InputProblem,
  type MethodResolution,
  resolveMethod,
  validateInput,
} from "./grpc/method-resolution.js";

export interface ConnectCallerOptions {
  /**
   * HTTP version for `type: connect` services.
   * @default "2"
   */
  readonly connectHttpVersion?: "1.1" | "2";
  /** Keep-alive and idle settings of the HTTP/2 sessions. @default Connect's (idle close after 15 min) */
  readonly sessionOptions?: Http2SessionOptions;
  /** Run around every call, reflection included (tracing, auth). */
  readonly interceptors?: Interceptor[];
  /**
   * How long fetching descriptors over reflection may take; a call also stops waiting at its
   * own deadline.
   * @default 10_000
   */
  readonly reflectionTimeoutMs?: number;
  /**
   * Deadline of a health check.
   * @default 5_000
   */
  readonly healthTimeoutMs?: number;
}

export interface ConnectCaller extends ServiceCaller {
  /** Checks every endpoint of the service with `grpc.health.v1.Health/Check`. */
  checkHealth(
    service: ServiceDefinition,
    options?: {
      /** The service name to ask about. @default "" (the whole server) */
      readonly serviceName?: string;
      readonly signal?: AbortSignal;
    },
  ): Promise<EndpointHealth[]>;
  /**
   * The descriptors calls to the service use: its descriptors file, else reflection on its
   * first endpoint. Throws a MaestroError. For `maestro validate`, with `validateInput`.
   */
  loadRegistry(service: ServiceDefinition): Promise<FileRegistry>;
  /** Ends every HTTP/2 session so the process can exit; the caller stays usable. */
  close(): Promise<void>;
}

/**
 * Creates the caller for `grpc`, `connect` and `grpc-web` services.
 *
 * @example
 * const caller = createConnectCaller();
 * const result = await caller.call({ service, method: "CreateUser", input: { email }, … });
 * await caller.close(); // before the process (or a test) ends
 */
export function createConnectCaller(options: ConnectCallerOptions = {}): ConnectCaller {
  const pool = createChannelPool({
    connectHttpVersion: options.connectHttpVersion ?? "2",
    ...(options.sessionOptions !== undefined && { sessionOptions: options.sessionOptions }),
    ...(options.interceptors !== undefined && { interceptors: options.interceptors }),
  });
  const reflectionTimeoutMs = options.reflectionTimeoutMs ?? 10_000;
  const healthTimeoutMs = options.healthTimeoutMs ?? 5_000;
  const descriptors = createDescriptorSource({ reflectionTimeoutMs });
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
    const service = request.service;
    const name = `service "${service.name}"`;
    const endpointText = pickEndpoint(service);
    if (endpointText === undefined) return failure("invalid_argument", `${name} has no endpoints`);
    const endpoint = parseEndpoint(endpointText, service.tls);
    if ("problem" in endpoint) return failure("invalid_argument", `${name}: ${endpoint.problem}`);
    span.set({
      "rpc.system": service.type === "connect" ? "connect_rpc" : "grpc",
      ...serverAttributes(new URL(endpoint.baseUrl)),
    });
    const metadata = buildMetadata(request);
    if ("problem" in metadata) return failure("invalid_argument", `${name}: ${metadata.problem}`);

    const started = performance.now();
    const deadline = startDeadline(request.timeoutMs, request.signal);
    let where = `${request.method} at ${endpoint.baseUrl}`;
    let registry: Registry | undefined;
    try {
      const channel = await pool.get(endpoint, service.tls);
      if ("problem" in channel) return failure("invalid_argument", `${name}: ${channel.problem}`);
      // Reflection gets the step's own headers (auth), not Maestro's per-call ones.
      const ownHeaders = new Headers(request.headers);
      const load = (refresh: boolean) =>
        untilAborted(descriptors.load(service, channel, ownHeaders, refresh), deadline.signal);
      let loaded = await load(false);
      let resolved = resolveMethod(loaded.registry, request.method);
      if (!resolved.ok && loaded.source === "reflection") {
        // The server may have been redeployed with the method since we asked.
        loaded = await load(true);
        resolved = resolveMethod(loaded.registry, request.method);
      }
      registry = loaded.registry;
      if (!resolved.ok) {
        const { code, message, candidates } = resolved;
        return failure(code, `${name}: ${message}`, { candidates });
      }
      const method = resolved.method;
      where = `${fullMethodName(method)} at ${endpoint.baseUrl}`;
      span.updateName(fullMethodName(method));
      span.set({ "rpc.service": method.parent.typeName, "rpc.method": method.name });
      if (method.methodKind !== "unary") {
        const kind = method.methodKind.replace("_", "-");
        return failure("unimplemented", `${where}: is ${kind}; steps call unary methods only`);
      }
      const input = toRequestMessage(method.input, request.input, registry);
      if ("problem" in input) return failure("invalid_argument", `${where}: ${input.problem}`);

      const protocol = service.type === "http" ? "connect" : service.type;
      const response = await channel
        .transport(protocol)
        .unary(
          method as DescMethodUnary,
          deadline.signal,
          remainingMs(request.timeoutMs, started),
          metadata,
          input,
        );
      return { ok: true, output: toOutputJson(method.output, response.message, registry) };
    } catch (error) {
      const context = { where, timeoutMs: request.timeoutMs, abortCause: deadline.cause() };
      return {
        ok: false,
        error: errorInfoFrom(error, registry ? { ...context, registry } : context),
      };
    } finally {
      deadline.dispose();
    }
  }

  return {
    call(request) {
      return inClientSpan(request, `${request.service.name} call`, async (span) => {
        try {
          return await call(request, span);
        } catch (error) {
          // A bug; still a result, never a throw.
          return { ok: false, error: MaestroError.from(error).toInfo() };
        }
      });
    },
    checkHealth(service, checkOptions = {}) {
      return Promise.all(
        service.endpoints.map((endpoint) =>
          checkEndpointHealth(pool, service, endpoint, {
            serviceName: checkOptions.serviceName ?? "",
            timeoutMs: healthTimeoutMs,
            ...(checkOptions.signal !== undefined && { signal: checkOptions.signal }),
          }),
        ),
      );
    },
    async loadRegistry(service) {
      const first = service.endpoints[0];
      const endpoint =
        first === undefined ? { problem: "no endpoints" } : parseEndpoint(first, service.tls);
      const channel = "problem" in endpoint ? endpoint : await pool.get(endpoint, service.tls);
      if ("problem" in channel) {
        throw new MaestroError("invalid_argument", `service "${service.name}": ${channel.problem}`);
      }
      try {
        return (await descriptors.load(service, channel, new Headers())).registry;
      } catch (error) {
        const info = errorInfoFrom(error, {
          where: `service "${service.name}" at ${channel.endpoint.baseUrl}`,
          timeoutMs: reflectionTimeoutMs,
          abortCause: undefined,
        });
        throw new MaestroError(info.code, info.message, {
          retryable: info.retryable,
          cause: error,
        });
      }
    },
    async close() {
      pool.close();
    },
  };
}

/** A failure found before the request went out (bad input, no such method): never retried. */
function failure(code: ErrorInfo["code"], message: string, details?: unknown): CallResult {
  return { ok: false, error: terminal(code, message, details) };
}

/** The call's remaining time for the `grpc-timeout` header; undefined when it has none. */
function remainingMs(timeoutMs: number, started: number): number | undefined {
  if (!Number.isFinite(timeoutMs)) return undefined;
  return Math.max(1, Math.ceil(timeoutMs - (performance.now() - started)));
}
