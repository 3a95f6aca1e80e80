/**
 * Turns a resolved HTTP method (`"POST /contacts/a%2Fb?x=1"`) and a service endpoint into the
 * verb and URL to request. Path values arrive already percent-encoded by the engine, so the
 * path is joined as text and never re-encoded.
 */

/** The verb and URL of one HTTP call. */
export interface HttpTarget {
  readonly verb: string;
  readonly url: URL;
}

/** A reason the call cannot be made as written; the caller reports it as `invalid_argument`. */
export interface TargetProblem {
  readonly problem: string;
}

/** An HTTP token (RFC 9110 §5.6.2), which is what a verb must be. */
const VERB = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Verbs `fetch` refuses to send. */
const FORBIDDEN_VERBS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * A `.` or `..` segment, plain or percent-encoded. The URL parser resolves these, so an id
 * like `..` would silently retarget `DELETE /contacts/..` at another resource.
 */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Splits `VERB /path?query` into its parts. The verb is upper-cased because `fetch` normalises
 * only the six common verbs and would send `patch` as written, which many servers reject.
 */
export function parseMethod(method: string): { verb: string; path: string } | TargetProblem {
  const trimmed = method.trim();
  const space = trimmed.search(/\s/);
  const verb = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  const path = space < 0 ? "/" : trimmed.slice(space).trim();
  if (!VERB.test(verb)) return { problem: `method "${method}" is not "VERB /path"` };
  if (FORBIDDEN_VERBS.has(verb)) return { problem: `HTTP method ${verb} is not supported` };
  if (/\s/.test(path)) return { problem: `method "${method}" is not "VERB /path"` };
  return { verb, path };
}

/**
 * Joins an endpoint (which may carry a base path, e.g. `http://host:8080/api/`) with a path
 * and query. Query parts keep their order: the endpoint's, the method's, then `query`.
 */
export function resolveTarget(
  endpoint: string,
  method: string,
  query: Readonly<Record<string, string>> | undefined,
): HttpTarget | TargetProblem {
  const parsed = parseMethod(method);
  if ("problem" in parsed) return parsed;

  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    return { problem: `endpoint "${endpoint}" is not a URL` };
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    return { problem: `endpoint "${redact(base)}" is not http(s)` };
  }
  if (base.username !== "" || base.password !== "") {
    // fetch refuses such URLs, and the credentials would end up in error messages.
    return { problem: `endpoint "${redact(base)}" must not carry credentials; use headers` };
  }

  const hash = parsed.path.indexOf("#");
  const withoutHash = hash < 0 ? parsed.path : parsed.path.slice(0, hash);
  const question = withoutHash.indexOf("?");
  const rawPath = question < 0 ? withoutHash : withoutHash.slice(0, question);
  const rawQuery = question < 0 ? "" : withoutHash.slice(question + 1);

  const relative = rawPath.replace(/^\/+/, "");
  if (relative.split("/").some((segment) => DOT_SEGMENT.test(segment))) {
    return { problem: `path "${rawPath}" has a "." or ".." segment` };
  }
  const basePath = base.pathname.replace(/\/+$/, "");
  const search = [base.search.slice(1), rawQuery, encodeQuery(query)]
    .filter((part) => part !== "")
    .join("&");

  try {
    const url = new URL(
      `${base.origin}${basePath}/${relative}${search === "" ? "" : `?${search}`}`,
    );
    return { verb: parsed.verb, url };
  } catch {
    return { problem: `"${method}" does not form a URL with endpoint "${redact(base)}"` };
  }
}

/**
 * Encodes with `encodeURIComponent` rather than `URLSearchParams`, whose `+` for spaces
 * not every server decodes.
 */
function encodeQuery(query: Readonly<Record<string, string>> | undefined): string {
  if (!query) return "";
  return Object.entries(query)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join("&");
}

/** The URL for messages: no credentials, query or fragment, which may hold secrets. */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
