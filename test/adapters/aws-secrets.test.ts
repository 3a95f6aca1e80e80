/**
 * The AWS secrets store through the real SDK clients, against a small stand-in for the
 * Secrets Manager and SSM JSON APIs on loopback.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsSecrets } from "../../src/adapters/secrets/aws-secrets.js";

let server: Server;
let endpoint: string;
const requests: string[] = [];
const local = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"]);
      const input = JSON.parse(body) as { SecretId?: string; Name?: string };
      requests.push(`${target} ${input.SecretId ?? input.Name}`);
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (target === "secretsmanager.GetSecretValue" && input.SecretId === "crm-token") {
        res.end(JSON.stringify({ Name: "crm-token", SecretString: "tok_123" }));
      } else if (target === "AmazonSSM.GetParameter" && input.Name === "/maestro/key") {
        res.end(
          JSON.stringify({
            Parameter: { Name: "/maestro/key", Value: "k_456", Type: "SecureString" },
          }),
        );
      } else {
        res.statusCode = 400;
        const type = target.startsWith("AmazonSSM")
          ? "ParameterNotFound"
          : "ResourceNotFoundException";
        res.end(JSON.stringify({ __type: type, message: "not found" }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe("AWS secrets", () => {
  it("reads Secrets Manager and SSM (ssm: names), caches, and says undefined for unknown names", async () => {
    const store = createAwsSecrets({
      secretsManager: { ...local, endpoint },
      ssm: { ...local, endpoint },
    });
    expect(await store.get("crm-token")).toBe("tok_123");
    expect(await store.get("crm-token")).toBe("tok_123");
    expect(await store.get("ssm:/maestro/key")).toBe("k_456");
    expect(await store.get("missing")).toBeUndefined();
    expect(requests.filter((r) => r === "secretsmanager.GetSecretValue crm-token")).toHaveLength(1);
    expect(requests).toContain("AmazonSSM.GetParameter /maestro/key");
  });
});
