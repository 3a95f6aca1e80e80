/**
 * What every example Connect service shares: one HTTP/2 port on 127.0.0.1 serving gRPC,
 * Connect and gRPC-web (h2c, or TLS with an optional client-certificate check), gRPC server
 * reflection (v1 and v1alpha) and grpc.health.v1, a call log, idempotency, and fault knobs.
 *
 * - Idempotency: a repeated `idempotency-key` on the same method returns the first reply
 *   (with the header `idempotent-replayed: true`) and performs no second effect. Failed
 *   calls are not remembered, so a retry after a failure runs the handler.
 * - Faults, per call through metadata (a workflow step's `headers` can carry them):
 *   `x-fault: unavailable` (any code, snake_case) fails every call; with `x-fault-times: N`
 *   it fails the first N calls per idempotency key, then lets them through (the code
 *   defaults to `unavailable`); `x-delay-ms: 300` answers late. The same per method for a
 *   whole server: the `faults` option, or `FAULTS='{"CreateUser":{"fault":"unavailable",
 *   "times":2},"*":{"delayMs":50}}'` when run alone.
 */
import { EventEmitter, once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type DescMethod, type DescService, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { registerReflection } from "../../src/callers/grpc/reflection-service.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../../src/gen/grpc/health/v1/health_pb.js";

export interface FaultRule {
  /** A Connect code in snake_case (`unavailable`, `invalid_argument`…). */
  readonly fault?: string;
  /** Fail only the first N calls per idempotency key. Default: every call. */
  readonly times?: number;
  readonly delayMs?: number;
}

/** Fault rules by method name (`CreateUser`), or `*` for every method. */
export type FaultRules = Readonly<Record<string, FaultRule>>;

export interface ServiceTls {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** Given: clients must present a certificate signed by this CA (mTLS). */
  readonly ca?: string | Buffer;
}

export interface StartOptions {
  /** Default: a free port. */
  readonly port?: number;
  readonly tls?: ServiceTls;
  readonly faults?: FaultRules;
}

export interface CallRecord {
  /** `CreateUser`. */
  readonly method: string;
  readonly protocol: "grpc" | "grpc-web" | "connect";
  readonly idempotencyKey: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly input: JsonValue;
  outcome: "pending" | "ok" | "replayed" | "fault" | "error";
  /** The error code of a fault or an error. */
  code?: string;
  /** Whether the handler ran and succeeded: false for replays, faults and errors. */
  effect: boolean;
}

export interface RunningGrpcService {
  readonly name: string;
  /** `http://127.0.0.1:<port>` or `https://…`. */
  readonly url: string;
  readonly port: number;
  readonly calls: CallRecord[];
  /** The calls that performed their effect, of one method or all. */
  effects(method?: string): CallRecord[];
  /** HTTP/2 sessions accepted so far (a well-behaved client keeps one). */
  sessions(): number;
  /** Sets what grpc.health.v1 reports for the server and its services. */
  setServing(serving: boolean): void;
  close(): Promise<void>;
}

/** A service and its handlers, for startGrpcService. */
export interface Implementation {
  readonly service: DescService;
  register(router: ConnectRouter, knobs: Knobs): void;
}

type UnaryHandler = (request: unknown, context: HandlerContext) => unknown;

export function implement<T extends DescService>(service: T, impl: ServiceImpl<T>): Implementation {
  return {
    service,
    register(router, knobs) {
      const handlers = Object.entries(impl as Record<string, UnaryHandler>).map(
        ([name, handler]) => [name, knobs.idempotent(handler)] as const,
      );
      router.service(service, Object.fromEntries(handlers) as Partial<ServiceImpl<T>>, {
        interceptors: [knobs.interceptor],
      });
    },
  };
}

/** Starts the implementations on one port with reflection, health and the knobs above. */
export async function startGrpcService(
  name: string,
  implementations: readonly Implementation[],
  options: StartOptions = {},
): Promise<RunningGrpcService> {
  const calls: CallRecord[] = [];
  const health = createHealth(implementations.map((i) => i.service.typeName));
  const knobs = createKnobs(calls, options.faults ?? {});
  const handler = connectNodeAdapter({
    routes(router) {
      for (const implementation of implementations) implementation.register(router, knobs);
      router.service(Health, health.impl);
      registerReflection(router, [...implementations.map((i) => i.service), Health]);
    },
  });
  const { tls } = options;
  const server = tls
    ? http2.createSecureServer(
        {
          key: tls.key,
          cert: tls.cert,
          allowHTTP1: true,
          ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }),
        },
        handler,
      )
    : http2.createServer(handler);
  // server.close() waits for clients' sessions (and, with TLS, HTTP/1.1 keep-alive sockets)
  // to end; close() ends them.
  const open = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on("session", (session: http2.ServerHttp2Session) => {
    accepted += 1;
    open.add(session);
    session.once("close", () => open.delete(session));
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    calls,
    effects: (method) =>
      calls.filter((c) => c.effect && (method === undefined || c.method === method)),
    sessions: () => accepted,
    setServing: health.setServing,
    async close() {
      for (const session of open) session.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Knobs {
  /** Delays, faults and the call log. */
  readonly interceptor: Interceptor;
  /** Runs a handler once per idempotency key; repeats get the first reply. */
  idempotent(handler: UnaryHandler): UnaryHandler;
}

const REPLAYED = "idempotent-replayed";

function createKnobs(calls: CallRecord[], rules: FaultRules): Knobs {
  const replies = new Map<string, Promise<unknown>>();
  const faultsSeen = new Map<string, number>();
  const scopeOf = (method: DescMethod, key: string | null) =>
    `${method.parent.typeName}/${method.name}\n${key ?? ""}`;

  const interceptor: Interceptor = (next) => async (req) => {
    if (req.stream) return next(req);
    const method = req.method.name;
    const key = req.header.get("idempotency-key");
    const record: CallRecord = {
      method,
      protocol: protocolOf(req.header.get("content-type") ?? ""),
      idempotencyKey: key,
      headers: Object.fromEntries(req.header),
      input: toJson(req.method.input, req.message, { useProtoFieldName: true }),
      outcome: "pending",
      effect: false,
    };
    calls.push(record);
    try {
      const rule = ruleFor(req.header, rules[method] ?? rules["*"]);
      if (rule.delayMs !== undefined && rule.delayMs > 0) {
        await sleep(rule.delayMs, undefined, { signal: req.signal });
      }
      if (rule.fault !== undefined) {
        const scope = scopeOf(req.method, key);
        const failed = faultsSeen.get(scope) ?? 0;
        if (rule.times === undefined || failed < rule.times) {
          faultsSeen.set(scope, failed + 1);
          record.outcome = "fault";
          throw new ConnectError(`injected fault (${rule.fault})`, parseCode(rule.fault));
        }
      }
      const response = await next(req);
      const replayed = response.header.has(REPLAYED);
      record.outcome = replayed ? "replayed" : "ok";
      record.effect = !replayed;
      return response;
    } catch (error) {
      if (record.outcome === "pending") record.outcome = "error";
      record.code = Code[ConnectError.from(error).code];
      throw error;
    }
  };

  return {
    interceptor,
    idempotent: (handler) => (request, context) => {
      const key = context.requestHeader.get("idempotency-key");
      if (key === null) return handler(request, context);
      const scope = scopeOf(context.method, key);
      const first = replies.get(scope);
      if (first !== undefined) {
        context.responseHeader.set(REPLAYED, "true");
        return first;
      }
      // Shared while in flight, so a concurrent repeat waits instead of acting twice; a
      // failure is forgotten, so a retry runs the handler again.
      const reply = Promise.resolve().then(() => handler(request, context));
      replies.set(scope, reply);
      reply.catch(() => replies.delete(scope));
      return reply;
    },
  };
}

function ruleFor(header: Headers, configured: FaultRule | undefined): FaultRule {
  const fault = header.get("x-fault") ?? undefined;
  const times = header.get("x-fault-times");
  const delay = header.get("x-delay-ms");
  if (fault === undefined && times === null && delay === null) return configured ?? {};
  return {
    ...(fault !== undefined || times !== null ? { fault: fault ?? "unavailable" } : {}),
    ...(times !== null && { times: Number(times) }),
    ...(delay !== null && { delayMs: Number(delay) }),
  };
}

/** `invalid_argument`, `InvalidArgument` or `3` → Code.InvalidArgument. */
export function parseCode(text: string): Code {
  const wanted = text.replace(/[^a-z0-9]/gi, "").toLowerCase();
  for (const [name, value] of Object.entries(Code)) {
    if (typeof value === "number" && (name.toLowerCase() === wanted || String(value) === wanted))
      return value;
  }
  throw new ConnectError(`x-fault: unknown code "${text}"`, Code.InvalidArgument);
}

function protocolOf(contentType: string): CallRecord["protocol"] {
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** Parses the FAULTS variable; throws an Error saying what is wrong. */
export function parseFaults(text: string): FaultRules {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(
      'FAULTS must be an object: {"CreateUser": {"fault": "unavailable", "times": 2}}',
    );
  }
  const rules: Record<string, FaultRule> = {};
  for (const [method, rule] of Object.entries(value as Record<string, Record<string, unknown>>)) {
    const { fault, times, delayMs } = rule;
    if (fault !== undefined) parseCode(String(fault));
    for (const [field, n] of Object.entries({ times, delayMs })) {
      if (n !== undefined && !(Number.isInteger(n) && (n as number) >= 0)) {
        throw new Error(`FAULTS.${method}.${field} must be a whole number`);
      }
    }
    rules[method] = rule as FaultRule;
  }
  return rules;
}

/** grpc.health.v1 for the server ("") and each service. */
function createHealth(services: readonly string[]) {
  let status = Status.SERVING;
  const changes = new EventEmitter();
  const known = new Set(["", ...services]);
  const current = (service: string) => (known.has(service) ? status : undefined);
  const impl: ServiceImpl<typeof Health> = {
    check(req) {
      const s = current(req.service);
      if (s === undefined)
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return { status: s };
    },
    list() {
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) };
    },
    async *watch(req, context) {
      for (;;) {
        yield { status: current(req.service) ?? Status.SERVICE_UNKNOWN };
        try {
          await once(changes, "change", { signal: context.signal });
        } catch {
          return;
        }
      }
    },
  };
  return {
    impl,
    setServing(serving: boolean) {
      status = serving ? Status.SERVING : Status.NOT_SERVING;
      changes.emit("change");
    },
  };
}

/**
 * Runs a service as a program: port from `PORT` or the first argument, faults from `FAULTS`,
 * TLS from `TLS_CERT`/`TLS_KEY` files (plus `TLS_CA` to require client certificates).
 */
export async function runAlone(
  start: (options: StartOptions) => Promise<RunningGrpcService>,
  defaultPort: number,
): Promise<void> {
  const { readFileSync } = await import("node:fs");
  const env = process.env;
  const port = Number(env.PORT ?? process.argv[2] ?? defaultPort);
  const tls =
    env.TLS_CERT && env.TLS_KEY
      ? {
          cert: readFileSync(env.TLS_CERT),
          key: readFileSync(env.TLS_KEY),
          ...(env.TLS_CA && { ca: readFileSync(env.TLS_CA) }),
        }
      : undefined;
  const service = await start({
    port,
    ...(tls && { tls }),
    ...(env.FAULTS && { faults: parseFaults(env.FAULTS) }),
  });
  console.log(
    `${service.name}: ${service.url} (gRPC, Connect, gRPC-web; reflection and health on)`,
  );
  const stop = () => {
    void service.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
