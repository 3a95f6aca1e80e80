/**
 * Turns what a Connect transport throws into Maestro's `ErrorInfo`. Service errors keep
 * their code (snake_case of Connect's `Code`), message and details; failures to reach the
 * service become `unavailable` and are retried, as the HTTP caller does.
 */
import { fromBinary, type Registry, toJson } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ErrorCode,
  type ErrorInfo,
  MaestroError,
  RETRYABLE_BY_DEFAULT,
} from "../../errors.js";
import type { AbortCause } from "../call-deadline.js";

/** An error detail: decoded to JSON when the registry knows its type, else its bytes in base64. */
export type ErrorDetail =
  | { readonly type: string; readonly value: unknown }
  | { readonly type: string; readonly bytes: string; readonly debug?: unknown };

/** `Code.InvalidArgument` → `invalid_argument`. */
export function errorCodeOf(code: Code): ErrorCode {
  const name = Code[code] ?? "Unknown";
  return name.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase() as ErrorCode;
}

export interface FailureContext {
  /** Names the call in messages: `auth.v1.AuthService/CreateUser at http://host:50051`. */
  readonly where: string;
  readonly timeoutMs: number;
  /** Why our own deadline signal fired, if it did. */
  readonly abortCause: AbortCause | undefined;
  /** Decodes error details; absent when the descriptors are not loaded yet. */
  readonly registry?: Registry;
}

/** Classifies anything a call threw. */
export function errorInfoFrom(error: unknown, context: FailureContext): ErrorInfo {
  const { where } = context;
  if (context.abortCause === "timeout") {
    return info("deadline_exceeded", `${where}: no response within ${context.timeoutMs} ms`, true);
  }
  if (context.abortCause === "canceled") return info("canceled", `${where}: call canceled`, false);

  if (error instanceof MaestroError) {
    return { ...error.toInfo(), message: `${where}: ${error.message}` };
  }
  const systemCode = systemCodeOf(error);
  if (systemCode !== undefined) {
    // Refused, reset, DNS, TLS, session closed: the service may be reachable next time.
    return info("unavailable", `${where}: ${innermostMessage(error)}`, true, { code: systemCode });
  }
  if (!(error instanceof ConnectError)) {
    const wrapped = MaestroError.from(error).toInfo();
    return { ...wrapped, message: `${where}: ${wrapped.message}` };
  }
  const code = errorCodeOf(error.code);
  const details = error.details.map((detail) => decodeDetail(detail, context.registry));
  const message = error.rawMessage === "" ? code : error.rawMessage;
  return info(
    code,
    `${where}: ${message}`,
    RETRYABLE_BY_DEFAULT.has(code),
    details.length > 0 ? details : undefined,
  );
}

function info(code: ErrorCode, message: string, retryable: boolean, details?: unknown): ErrorInfo {
  return { code, message, retryable, ...(details !== undefined && { details }) };
}

function decodeDetail(detail: ConnectError["details"][number], registry?: Registry): ErrorDetail {
  // Outgoing details (desc + value) only exist on errors raised in this process.
  if ("desc" in detail) return { type: detail.desc.typeName, value: detail.value };
  const desc = registry?.getMessage(detail.type);
  if (desc !== undefined) {
    try {
      const value = toJson(desc, fromBinary(desc, detail.value), {
        ...(registry !== undefined && { registry }),
        useProtoFieldName: true,
      });
      return { type: detail.type, value };
    } catch {
      // Undecodable: keep the bytes.
    }
  }
  return {
    type: detail.type,
    bytes: base64Encode(detail.value),
    ...(detail.debug !== undefined && { debug: detail.debug }),
  };
}

/**
 * The Node system or HTTP/2 error code behind a transport failure (`ECONNREFUSED`,
 * `ERR_HTTP2_GOAWAY_SESSION`, `DEPTH_ZERO_SELF_SIGNED_CERT`…). Errors the server sent carry
 * none: they have no cause.
 */
function systemCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    const errors = (current as { errors?: unknown }).errors;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : current.cause;
  }
  return undefined;
}

function innermostMessage(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 6; depth += 1) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (!(cause instanceof Error) || cause.message === "") break;
    current = cause;
  }
  // OpenSSL's messages end in a newline.
  return (current instanceof Error ? current.message : String(current)).trim();
}

/** A failure found before any request was sent (bad input, no such method): never retried. */
export function terminal(code: ErrorCode, message: string, details?: unknown): ErrorInfo {
  return info(code, message, false, details);
}
