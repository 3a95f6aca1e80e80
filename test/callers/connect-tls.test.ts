import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAuthService, startAuthService } from "../../examples/services/auth/server.js";
import { createConnectCaller } from "../../src/callers/connect-caller.js";
import { file_examples_auth_v1_auth } from "../../src/gen/examples/auth/v1/auth_pb.js";
import type { ServiceType, TlsSettings } from "../../src/workflow/model.js";
import {
  callRequest,
  makeCerts,
  serviceDef,
  type TestCerts,
  tempDir,
  writeDescriptorSet,
} from "../grpc/helpers.js";

const dir = tempDir();
const caller = createConnectCaller({ healthTimeoutMs: 2_000 });
let certs: TestCerts;
let tlsOnly: RunningAuthService;
let mutual: RunningAuthService;

beforeAll(async () => {
  certs = makeCerts(dir.path);
  const key = readFileSync(certs.serverKey);
  const cert = readFileSync(certs.serverCert);
  [tlsOnly, mutual] = await Promise.all([
    startAuthService({ tls: { key, cert } }),
    startAuthService({ tls: { key, cert, ca: readFileSync(certs.caCert) } }),
  ]);
});

afterAll(async () => {
  await caller.close();
  await Promise.all([tlsOnly?.close(), mutual?.close()]);
  dir.remove();
});

function deleteUser(endpoint: string, tls: TlsSettings, type: ServiceType = "grpc") {
  // No descriptors: reflection runs over the same TLS session.
  return caller.call(
    callRequest(serviceDef(endpoint, { type, tls }), "DeleteUser", { user_id: "x" }),
  );
}

describe("TLS", () => {
  it.each<ServiceType>(["grpc", "connect", "grpc-web"])(
    "calls over TLS with the service's CA (%s)",
    async (type) => {
      const result = await deleteUser(tlsOnly.url, { ca: certs.caCert }, type);
      expect(result).toEqual({ ok: true, output: { deleted: false } });
      expect(tlsOnly.calls.at(-1)?.protocol).toBe(type);
    },
  );

  it("uses TLS for host:port when the service has tls settings", async () => {
    const result = await deleteUser(`127.0.0.1:${tlsOnly.port}`, { ca: certs.caCert });
    expect(result.ok).toBe(true);
  });

  it("verifies the server name given instead of the endpoint's host", async () => {
    const right = await deleteUser(tlsOnly.url, { ca: certs.caCert, serverName: "auth.internal" });
    expect(right.ok).toBe(true);
    const wrong = await deleteUser(tlsOnly.url, {
      ca: certs.caCert,
      serverName: "billing.internal",
    });
    expect(wrong).toMatchObject({
      ok: false,
      error: {
        code: "unavailable",
        retryable: true,
        details: { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
      },
    });
  });

  it("refuses a server whose certificate the CA did not sign", async () => {
    const result = await deleteUser(tlsOnly.url, { ca: certs.otherCaCert });
    expect(result).toMatchObject({ ok: false, error: { code: "unavailable", retryable: true } });
  });

  it("presents the client certificate to a server that requires one (mTLS)", async () => {
    const withCert = await deleteUser(mutual.url, {
      ca: certs.caCert,
      cert: certs.clientCert,
      key: certs.clientKey,
    });
    expect(withCert).toEqual({ ok: true, output: { deleted: false } });
    const without = await deleteUser(mutual.url, { ca: certs.caCert });
    expect(without).toMatchObject({ ok: false, error: { code: "unavailable", retryable: true } });
  });

  it("reports unreadable or half-given TLS files as terminal invalid_argument", async () => {
    const missing = await deleteUser(tlsOnly.url, { ca: `${dir.path}/missing.crt` });
    expect(missing).toMatchObject({
      ok: false,
      error: {
        code: "invalid_argument",
        retryable: false,
        message: expect.stringContaining("missing.crt"),
      },
    });
    const half = await deleteUser(mutual.url, { ca: certs.caCert, cert: certs.clientCert });
    expect(half).toMatchObject({
      ok: false,
      error: { code: "invalid_argument", retryable: false },
    });
  });

  it("speaks Connect over HTTP/1.1 when asked (TLS servers also take HTTP/1.1)", async () => {
    const http1 = createConnectCaller({ connectHttpVersion: "1.1" });
    try {
      const descriptors = writeDescriptorSet(dir.path, "auth.binpb", [file_examples_auth_v1_auth]);
      const service = serviceDef(tlsOnly.url, {
        type: "connect",
        descriptors,
        tls: { ca: certs.caCert },
      });
      const result = await http1.call(callRequest(service, "DeleteUser", { user_id: "x" }));
      expect(result).toEqual({ ok: true, output: { deleted: false } });
      expect(tlsOnly.calls.at(-1)?.protocol).toBe("connect");
    } finally {
      await http1.close();
    }
  });

  it("checks health over mTLS", async () => {
    const service = serviceDef(mutual.url, {
      tls: { ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey },
    });
    expect(await caller.checkHealth(service)).toEqual([
      { endpoint: mutual.url, status: "SERVING", ok: true },
    ]);
  });
});
