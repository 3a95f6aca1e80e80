/**
 * Authentication and authorization for the API. Off unless configured; then every /v1
 * route needs a valid JWT (signature, issuer, audience, expiry — checked with jose against
 * a JWKS URL, cached, or a local key), and a small policy says which scopes or roles may do
 * what to which workflows (by name glob). 401 says the token is missing or invalid, 403
 * that it is valid but not allowed, each with the reason.
 */
import type { Context, MiddlewareHandler } from "hono";
import {
  type CryptoKey,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type KeyObject,
} from "jose";
import { ProblemError, problem } from "./problem.js";

export const ACTIONS = [
  "workflows:register",
  "workflows:read",
  "runs:start",
  "runs:read",
  "runs:cancel",
  "runs:redrive",
  "runs:signal",
] as const;
export type Action = (typeof ACTIONS)[number];

/** Grants `actions` on workflows matching `workflows` to tokens with any of the scopes or roles. */
export interface PolicyRule {
  readonly actions: readonly (Action | "*")[];
  /** A glob on workflow names: `*`, `order_*`. @default "*" */
  readonly workflows?: string;
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
}

export interface AuthConfig {
  readonly issuer: string;
  readonly audience: string | readonly string[];
  /** Where the issuer publishes its keys (OIDC `jwks_uri`). */
  readonly jwksUrl?: string;
  /** A fixed verification key instead of a JWKS (tests, single-key setups). */
  readonly key?: CryptoKey | KeyObject | Uint8Array;
  /**
   * @default one rule per action, granted by the scope `maestro:<action>` (e.g.
   * `maestro:runs:start`) or `maestro:admin`, on every workflow.
   */
  readonly policy?: readonly PolicyRule[];
}

export const DEFAULT_POLICY: readonly PolicyRule[] = [
  { actions: ["*"], scopes: ["maestro:admin"] },
  ...ACTIONS.map((action) => ({ actions: [action], scopes: [`maestro:${action}`] })),
];

type Claims = JWTPayload & Record<string, unknown>;

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

function scopesOf(claims: Claims): Set<string> {
  const scope = claims.scope ?? claims.scp;
  if (typeof scope === "string") return new Set(scope.split(" ").filter(Boolean));
  return new Set(Array.isArray(scope) ? scope.map(String) : []);
}

function rolesOf(claims: Claims): Set<string> {
  const roles = new Set<string>();
  for (const name of ["roles", "groups", "cognito:groups"]) {
    const value = claims[name];
    if (Array.isArray(value)) for (const r of value) roles.add(String(r));
  }
  return roles;
}

/**
 * What a verified token may do: `check` throws a 403 problem unless it may do `action` on
 * `workflow`. `subject` is the token's `sub`, recorded where the log says who asked.
 */
export interface Grant {
  readonly subject?: string;
  check(action: Action, workflow: string): void;
}

/** The verified token's subject (`sub`), when the request carried one. */
export function subjectOf(c: Context): string | undefined {
  return (c.get("grant" as never) as Grant | undefined)?.subject;
}

export interface Auth {
  readonly middleware: MiddlewareHandler;
  /** Throws a 403 problem unless the request's token may do `action` on `workflow`. */
  authorize(c: Context, action: Action, workflow: string): void;
  /**
   * Verifies an `Authorization` header value, whatever carried it (HTTP header, gRPC
   * metadata): throws a 401 problem when it is missing or refused.
   */
  verify(authorization: string | undefined): Promise<Grant>;
}

const allowAll: Grant = { check: () => {} };

export const noAuth: Auth = {
  middleware: async (_c, next) => next(),
  authorize: () => {},
  verify: async () => allowAll,
};

/** The `WWW-Authenticate` challenge that goes with a 401 problem from `verify`. */
export function challenge(code: string): string {
  return code === "invalid_token"
    ? `Bearer realm="maestro", error="invalid_token"`
    : 'Bearer realm="maestro"';
}

export function createAuth(config: AuthConfig): Auth {
  const keys: JWTVerifyGetKey | CryptoKey | KeyObject | Uint8Array | undefined =
    config.key ?? (config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined);
  if (!keys) throw new Error("auth needs a jwksUrl or a key");
  const rules = (config.policy ?? DEFAULT_POLICY).map((r) => ({
    ...r,
    pattern: globToRegExp(r.workflows ?? "*"),
  }));
  const audience = typeof config.audience === "string" ? config.audience : [...config.audience];

  function grantFor(claims: Claims): Grant {
    const scopes = scopesOf(claims);
    const roles = rolesOf(claims);
    return {
      ...(typeof claims.sub === "string" && { subject: claims.sub }),
      check(action, workflow) {
        const allowed = rules.some(
          (r) =>
            (r.actions.includes("*") || r.actions.includes(action)) &&
            r.pattern.test(workflow) &&
            ((r.scopes ?? []).some((s) => scopes.has(s)) ||
              (r.roles ?? []).some((x) => roles.has(x))),
        );
        if (!allowed) {
          throw problem(403, "forbidden", `the token may not ${action} on workflow "${workflow}"`);
        }
      },
    };
  }

  async function verify(authorization: string | undefined): Promise<Grant> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    if (!match?.[1]) {
      throw problem(401, "unauthenticated", "an Authorization: Bearer token is required");
    }
    try {
      const { payload } = await jwtVerify(match[1], keys as Parameters<typeof jwtVerify>[1], {
        issuer: config.issuer,
        audience,
      });
      return grantFor(payload as Claims);
    } catch (error) {
      throw problem(401, "invalid_token", `the token was refused: ${(error as Error).message}`);
    }
  }

  const middleware: MiddlewareHandler = async (c, next) => {
    try {
      c.set("grant" as never, (await verify(c.req.header("authorization"))) as never);
    } catch (error) {
      if (error instanceof ProblemError)
        c.header("WWW-Authenticate", challenge(error.problem.code));
      throw error;
    }
    await next();
  };

  return {
    middleware,
    verify,
    authorize(c, action, workflow) {
      const grant = c.get("grant" as never) as Grant | undefined;
      if (!grant) throw problem(401, "unauthenticated", "the request was not authenticated");
      grant.check(action, workflow);
    },
  };
}
