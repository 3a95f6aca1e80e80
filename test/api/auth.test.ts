/** The API's JWT authentication and policy, with keys generated here and a JWKS served on loopback. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemorySagaLog } from "../../src/adapters/memory/memory-saga-log.js";
import { createMemoryTaskQueue } from "../../src/adapters/memory/memory-task-queue.js";
import { createMemoryWorkflowRegistry } from "../../src/adapters/memory/memory-workflow-registry.js";
import { createApi } from "../../src/api/app.js";
import { type AuthConfig, createAuth } from "../../src/api/auth.js";
import { systemClock } from "../../src/ports/clock.js";
import { silentLogger } from "../../src/ports/logger.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import { workflowFrom } from "../helpers/workflows.js";

const ISSUER = "https://login.example.test/";
const AUDIENCE = "maestro-api";
const workflow = (name: string) =>
  workflowFrom(
    `name: ${name}\nversion: "1.0.0"\nservices: { s: { type: http, endpoint: "http://s" } }\nsteps:\n  - { id: a, service: s, method: POST /a }\n`,
  );

let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let other: Awaited<ReturnType<typeof generateKeyPair>>;
let jwks: Server;
let jwksUrl: string;

beforeAll(async () => {
  keys = await generateKeyPair("ES256");
  other = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256" };
  jwks = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise((r) => jwks.close(r)));

function token(
  claims: Record<string, unknown>,
  options: {
    key?: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
    exp?: string;
    aud?: string;
  } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer(ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(options.key ?? keys.privateKey);
}

function api(config: Partial<AuthConfig> = {}) {
  const registry = createMemoryWorkflowRegistry();
  return createApi({
    log: createMemorySagaLog(),
    queue: createMemoryTaskQueue(),
    workflows: staticWorkflows([workflow("order_refund"), workflow("user_delete")]),
    registry,
    clock: systemClock,
    logger: silentLogger,
    newId: () => crypto.randomUUID(),
    auth: createAuth({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, ...config }),
  });
}

const start = (app: ReturnType<typeof api>, bearer: string | undefined, name = "order_refund") =>
  app.request("/v1/runs", {
    method: "POST",
    body: JSON.stringify({ workflow: name }),
    headers: {
      "content-type": "application/json",
      ...(bearer !== undefined && { authorization: `Bearer ${bearer}` }),
    },
  });

describe("API authentication", () => {
  it("answers 401 with the reason for missing, forged, expired and misaddressed tokens", async () => {
    const app = api();
    const cases: [string | undefined, string][] = [
      [undefined, "unauthenticated"],
      ["not-a-jwt", "invalid_token"],
      [await token({ scope: "maestro:admin" }, { key: other.privateKey }), "invalid_token"],
      [await token({ scope: "maestro:admin" }, { exp: "-1m" }), "invalid_token"],
      [await token({ scope: "maestro:admin" }, { aud: "someone-else" }), "invalid_token"],
    ];
    for (const [bearer, code] of cases) {
      const res = await start(app, bearer);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
    expect((await app.request("/healthz")).status).toBe(200);
  });

  it("lets a token do what its scopes grant and nothing else (403 with the reason)", async () => {
    const app = api();
    const starter = await token({ scope: "maestro:runs:start" });
    expect((await start(app, starter)).status).toBe(201);
    const reader = await token({ scope: "maestro:runs:read" });
    const refused = await start(app, reader);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toBe(
      'the token may not runs:start on workflow "order_refund"',
    );
    const { runId } = (await (
      await start(app, await token({ scope: "maestro:admin" }))
    ).json()) as { runId: string };
    expect(
      (await app.request(`/v1/runs/${runId}`, { headers: { authorization: `Bearer ${reader}` } }))
        .status,
    ).toBe(200);
    expect(
      (await app.request(`/v1/runs/${runId}`, { headers: { authorization: `Bearer ${starter}` } }))
        .status,
    ).toBe(403);
  });

  it("applies a policy by workflow name glob and role", async () => {
    const app = api({
      key: keys.publicKey,
      policy: [
        { actions: ["runs:start", "runs:read"], workflows: "order_*", roles: ["orders-team"] },
      ],
    });
    const team = await token({ groups: ["orders-team"] });
    expect((await start(app, team, "order_refund")).status).toBe(201);
    expect((await start(app, team, "user_delete")).status).toBe(403);
    expect((await start(app, await token({ groups: ["others"] }), "order_refund")).status).toBe(
      403,
    );
  });
});
