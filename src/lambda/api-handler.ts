import type { Context } from "aws-lambda";
import { handle, type LambdaEvent } from "hono/aws-lambda";
import { createApi } from "../api/app.js";
import { type Auth, createAuth } from "../api/auth.js";
import { apiBacklog } from "./api-health.js";
import { type AwsDeps, runMetrics } from "./aws-deps.js";

/** The HTTP API on Lambda (API Gateway HTTP API v2 or a Function URL). */
export function createApiHandler(deps: () => Promise<AwsDeps>) {
  let lambdaHandler: ReturnType<typeof handle> | undefined;
  return async (event: LambdaEvent, context: Context) => {
    if (!lambdaHandler) {
      const d = await deps();
      const auth = authFromEnv(process.env);
      lambdaHandler = handle(createApi({ ...d, ...(auth && { auth }), ...apiBacklog(d) }));
    }
    try {
      return await lambdaHandler(event, context as Parameters<ReturnType<typeof handle>>[1]);
    } finally {
      runMetrics.publishStoredMetrics();
    }
  };
}

/**
 * Auth from the environment the stack sets: issuer and audience (comma-separated), and the
 * issuer's JWKS (`MAESTRO_AUTH_JWKS_URL`, else `<issuer>/.well-known/jwks.json`, as Cognito
 * and most OIDC providers publish it).
 */
export function authFromEnv(env: Readonly<Record<string, string | undefined>>): Auth | undefined {
  const issuer = env.MAESTRO_AUTH_ISSUER;
  if (!issuer) return undefined;
  const audience = (env.MAESTRO_AUTH_AUDIENCE ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  if (audience.length === 0)
    throw new Error("MAESTRO_AUTH_AUDIENCE must be set with MAESTRO_AUTH_ISSUER");
  const jwksUrl = env.MAESTRO_AUTH_JWKS_URL ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json`;
  return createAuth({ issuer, audience, jwksUrl });
}
