/**
 * The AWS secrets store through the real SDK clients, against a small stand-in for the
 * Secrets Manager and SSM JSON APIs on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsSecrets } from "../../src/adapters/secrets/aws-secrets.js";
import {
  type AwsJsonStandIn,
  awsJsonError,
  startAwsJsonStandIn,
} from "../helpers/aws-json-stand-in.js";

let standIn: AwsJsonStandIn;
let endpoint: string;
const requests: string[] = [];
const local = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
};

beforeAll(async () => {
  standIn = await startAwsJsonStandIn((target, input) => {
    requests.push(`${target} ${input.SecretId ?? input.Name}`);
    if (target === "secretsmanager.GetSecretValue" && input.SecretId === "crm-token") {
      return { body: { Name: "crm-token", SecretString: "tok_123" } };
    }
    if (target === "AmazonSSM.GetParameter" && input.Name === "/maestro/key") {
      return {
        body: { Parameter: { Name: "/maestro/key", Value: "k_456", Type: "SecureString" } },
      };
    }
    return awsJsonError(
      target.startsWith("AmazonSSM") ? "ParameterNotFound" : "ResourceNotFoundException",
    );
  });
  endpoint = standIn.endpoint;
});
afterAll(() => standIn.close());

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
