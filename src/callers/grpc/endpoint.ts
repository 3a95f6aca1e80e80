/**
 * Where a gRPC / Connect / gRPC-web endpoint lives. Workflows write gRPC endpoints the way
 * gRPC tools do (`auth-service:50051`) or as URLs; both become a base URL here.
 */
import type { TlsSettings } from "../../workflow/model.js";

/** A parsed endpoint: the base URL requests go to, and whether the connection uses TLS. */
export interface GrpcEndpoint {
  /** `http://host:port` or `https://host:port`, with any base path, without a trailing `/`. */
  readonly baseUrl: string;
  /** `scheme://host:port`: what one HTTP/2 session connects to. */
  readonly origin: string;
  readonly secure: boolean;
}

/** A reason the endpoint cannot be used; reported as a terminal `invalid_argument`. */
export interface EndpointProblem {
  readonly problem: string;
}

/** `host:port` without a scheme, the form gRPC tools and the seed README use. */
const HOST_PORT = /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+):\d{1,5}$/i;

/**
 * Parses an endpoint. `host:port` means TLS when the service has `tls` settings and h2c
 * (HTTP/2 without TLS) otherwise; `http://` and `https://` say so themselves. An `http://`
 * endpoint with `tls` settings is refused rather than silently sent in the clear.
 */
export function parseEndpoint(
  endpoint: string,
  tls: TlsSettings | undefined,
): GrpcEndpoint | EndpointProblem {
  const text = endpoint.trim();
  const withScheme = HOST_PORT.test(text) ? `${tls ? "https" : "http"}://${text}` : text;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem: `endpoint "${endpoint}" is neither host:port nor an http(s) URL` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { problem: `endpoint "${endpoint}" must use http:// or https://` };
  }
  if (url.username !== "" || url.password !== "") {
    return { problem: `endpoint of host ${url.host} must not carry credentials; use headers` };
  }
  if (url.search !== "" || url.hash !== "") {
    return { problem: `endpoint "${url.origin}${url.pathname}" must not have a query or fragment` };
  }
  const secure = url.protocol === "https:";
  if (tls && !secure) {
    return { problem: `endpoint "${endpoint}" is plain http:// but the service has tls settings` };
  }
  const path = url.pathname.replace(/\/+$/, "");
  return { baseUrl: `${url.origin}${path}`, origin: url.origin, secure };
}
