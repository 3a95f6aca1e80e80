/**
 * `grpc.health.v1.Health/Check` against one endpoint, for readiness probes and
 * `maestro validate --check-endpoints`. It speaks the service's own protocol, so it also
 * proves the endpoint takes gRPC, Connect or gRPC-web as configured.
 */
import { ConnectError } from "@connectrpc/connect";
import type { ErrorInfo } from "../../errors.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import type { ServiceDefinition } from "../../workflow/model.js";
import { startDeadline } from "../call-deadline.js";
import type { ChannelPool } from "./channels.js";
import { parseEndpoint } from "./endpoint.js";
import { errorCodeOf, errorInfoFrom, terminal } from "./error-mapping.js";

/** What one endpoint said to `grpc.health.v1.Health/Check`. */
export interface EndpointHealth {
  readonly endpoint: string;
  /**
   * The serving status, or: `NO_HEALTH_SERVICE` (it answered, without a health service),
   * `UNREACHABLE` (unavailable or no answer in time), `ERROR` (any other failure).
   */
  readonly status:
    | "SERVING"
    | "NOT_SERVING"
    | "UNKNOWN"
    | "SERVICE_UNKNOWN"
    | "NO_HEALTH_SERVICE"
    | "UNREACHABLE"
    | "ERROR";
  /** Ready: `SERVING`, or reachable without a health service to ask. */
  readonly ok: boolean;
  readonly error?: ErrorInfo;
}

export async function checkEndpointHealth(
  pool: ChannelPool,
  service: ServiceDefinition,
  endpointText: string,
  options: { serviceName: string; timeoutMs: number; signal?: AbortSignal },
): Promise<EndpointHealth> {
  const broken = (error: ErrorInfo): EndpointHealth => ({
    endpoint: endpointText,
    status:
      error.code === "unavailable" || error.code === "deadline_exceeded" ? "UNREACHABLE" : "ERROR",
    ok: false,
    error,
  });
  const endpoint = parseEndpoint(endpointText, service.tls);
  if ("problem" in endpoint) return broken(terminal("invalid_argument", endpoint.problem));
  const deadline = startDeadline(options.timeoutMs, options.signal);
  try {
    const channel = await pool.get(endpoint, service.tls);
    if ("problem" in channel) return broken(terminal("invalid_argument", channel.problem));
    const transport = channel.transport(service.type === "http" ? "connect" : service.type);
    const reply = await transport.unary(
      Health.method.check,
      deadline.signal,
      options.timeoutMs,
      undefined,
      { service: options.serviceName },
    );
    const status = HealthCheckResponse_ServingStatus[
      reply.message.status
    ] as EndpointHealth["status"];
    return { endpoint: endpointText, status, ok: status === "SERVING" };
  } catch (error) {
    const unimplemented =
      error instanceof ConnectError && errorCodeOf(error.code) === "unimplemented";
    if (unimplemented && deadline.cause() === undefined) {
      return { endpoint: endpointText, status: "NO_HEALTH_SERVICE", ok: true };
    }
    const info = errorInfoFrom(error, {
      where: `grpc.health.v1.Health/Check at ${endpoint.baseUrl}`,
      timeoutMs: options.timeoutMs,
      abortCause: deadline.cause(),
    });
    if (info.code === "not_found") {
      return { endpoint: endpointText, status: "SERVICE_UNKNOWN", ok: false, error: info };
    }
    return broken(info);
  } finally {
    deadline.dispose();
  }
}
