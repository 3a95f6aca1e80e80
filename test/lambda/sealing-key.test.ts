/**
 * Where a Lambda function's sealing keys come from: the stack's Secrets Manager secret
 * (read through the real SDK from a stand-in for the Secrets Manager JSON API on loopback),
 * or MAESTRO_SEALING_KEY; without either, a warning naming the workflows left in the clear.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSealingKey, parseSealingKeys } from "../../src/adapters/sealing/sealing-keys.js";
import { type LambdaConfig, readConfig } from "../../src/lambda/config.js";
import { lambdaSealingKeys } from "../../src/lambda/sealing.js";
import type { Logger } from "../../src/ports/logger.js";
import { silentLogger } from "../../src/ports/logger.js";
import { staticWorkflows } from "../../src/runtime/workflow-source.js";
import {
  type AwsJsonStandIn,
  awsJsonError,
  startAwsJsonStandIn,
} from "../helpers/aws-json-stand-in.js";
import { workflowFrom } from "../helpers/workflows.js";

const SECRET = "maestro-dev/sealing-key";
const MATERIAL = `${generateSealingKey()},${generateSealingKey()}`;
const requests: string[] = [];
let standIn: AwsJsonStandIn;
let endpoint: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  standIn = await startAwsJsonStandIn((target, input) => {
    requests.push(`${target} ${input.SecretId}`);
    return target === "secretsmanager.GetSecretValue" && input.SecretId === SECRET
      ? { body: { Name: SECRET, SecretString: MATERIAL } }
      : awsJsonError("ResourceNotFoundException");
  });
  endpoint = standIn.endpoint;
  // The SDK's default chain reads these, as it reads the function's role in AWS.
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
  });
});
afterAll(async () => {
  process.env = savedEnv;
  await standIn.close();
});

function config(extra: Record<string, string>): LambdaConfig {
  return readConfig({
    MAESTRO_TABLE_NAME: "t",
    MAESTRO_STEP_QUEUE_URL: "q1",
    MAESTRO_COMPENSATION_QUEUE_URL: "q2",
    MAESTRO_AWS_ENDPOINT: endpoint,
    ...extra,
  });
}

const marked = workflowFrom(`
name: pay
version: "1.0.0"
sensitive: [input.card]
steps:
  - { id: wait, sleep: 1s }
`);

describe("a Lambda function's sealing keys", () => {
  it("come from the stack's secret, once, with every key it lists", async () => {
    requests.length = 0;
    const keys = await lambdaSealingKeys(
      config({ MAESTRO_SEALING_KEY_SECRET: SECRET }),
      staticWorkflows([marked]),
      silentLogger,
    );
    expect(requests).toEqual([`secretsmanager.GetSecretValue ${SECRET}`]);
    const expected = parseSealingKeys(MATERIAL, "expected");
    expect(keys?.keys.map((k) => k.id)).toEqual(expected.keys.map((k) => k.id));
    // What this function seals, another holding the same secret opens.
    const sealed = keys?.forRun("r-1").seal({ card: "4111111111111111" });
    expect(sealed && expected.forRun("r-1").open(sealed)).toEqual({ card: "4111111111111111" });
  });

  it("fail the cold start when the secret cannot be read, rather than store values clear", async () => {
    await expect(
      lambdaSealingKeys(
        config({ MAESTRO_SEALING_KEY_SECRET: "maestro-dev/missing" }),
        staticWorkflows([marked]),
        silentLogger,
      ),
    ).rejects.toThrow(/not found/);
  });

  it("take MAESTRO_SEALING_KEY first, and name it when it is too short", async () => {
    requests.length = 0;
    const material = generateSealingKey();
    const keys = await lambdaSealingKeys(
      config({ MAESTRO_SEALING_KEY: material, MAESTRO_SEALING_KEY_SECRET: SECRET }),
      staticWorkflows([marked]),
      silentLogger,
    );
    expect(keys?.keys.map((k) => k.id)).toEqual(
      parseSealingKeys(material, "expected").keys.map((k) => k.id),
    );
    expect(requests).toEqual([]);
    await expect(
      lambdaSealingKeys(
        config({ MAESTRO_SEALING_KEY: "short" }),
        staticWorkflows([]),
        silentLogger,
      ),
    ).rejects.toThrow(/^MAESTRO_SEALING_KEY: key 1 is 5 characters/);
  });

  it("are absent without either, with one warning naming the workflows that mark fields", async () => {
    const warnings: { message: string; fields: unknown }[] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (message, fields) => warnings.push({ message, fields }),
    };
    const plain = workflowFrom(`
name: plain
version: "1.0.0"
steps:
  - { id: wait, sleep: 1s }
`);
    const keys = await lambdaSealingKeys(config({}), staticWorkflows([marked, plain]), logger);
    expect(keys).toBeUndefined();
    expect(warnings).toEqual([
      {
        message: "no sealing key configured: sensitive fields are stored in the clear",
        fields: { workflows: ["pay@1.0.0"] },
      },
    ]);
  });
});
