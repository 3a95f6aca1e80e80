/**
 * Bundles every function once, as `cdk deploy` would, then imports each bundle and calls its
 * handler with a minimal event — offline: no event here needs AWS, and the one that reaches
 * for DynamoDB is pointed at a closed local port.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FunctionId } from "../../infra/config.js";
import { BUNDLE_BUDGET_BYTES, FUNCTION_IDS, FUNCTIONS, REPO_ROOT } from "../../infra/functions.js";
import { resourcesOf, type Synthesized, synth } from "./synth.js";

type Handler = (event: unknown, context: Context) => Promise<unknown>;

// Inside the repository, so that the bundles' external `@aws-sdk/*` imports resolve from
// node_modules as they do from the Lambda runtime.
mkdirSync(join(REPO_ROOT, "cdk.out"), { recursive: true });
const outdir = mkdtempSync(join(REPO_ROOT, "cdk.out", "bundle-test-"));
let synthesized: Synthesized;

beforeAll(async () => {
  synthesized = await synth(
    "dev",
    { workflows: "test/fixtures/infra/*.yaml" },
    { bundle: true, outdir },
  );
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The asset folder of a function's bundle. */
function assetOf(fn: FunctionId): string {
  const name = `maestro-dev-${FUNCTIONS[fn].name}`;
  const resource = Object.values(resourcesOf(synthesized.template, "AWS::Lambda::Function")).find(
    (r) => r.Properties?.FunctionName === name,
  );
  const code = resource?.Properties?.Code as { S3Key: string } | undefined;
  if (!code) throw new Error(`no function ${name}`);
  const key = code.S3Key;
  return join(outdir, `asset.${key.replace(/\.zip$/, "")}`);
}

async function handlerOf(fn: FunctionId): Promise<Handler> {
  const asset = assetOf(fn);
  Object.assign(process.env, {
    MAESTRO_TABLE_NAME: "maestro-test-sagas",
    MAESTRO_STEP_QUEUE_URL: "http://127.0.0.1:9/queue/step",
    MAESTRO_COMPENSATION_QUEUE_URL: "http://127.0.0.1:9/queue/compensation",
    MAESTRO_RUN_QUEUE_URL: "http://127.0.0.1:9/queue/run",
    MAESTRO_WORKFLOWS_DIR: join(asset, "workflows"),
    // Nothing listens on the discard port: a call to AWS fails at once, without credentials.
    MAESTRO_AWS_ENDPOINT: "http://127.0.0.1:9",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_MAX_ATTEMPTS: "1",
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  const module = (await import(pathToFileURL(join(asset, "index.mjs")).href)) as {
    handler: Handler;
  };
  expect(typeof module.handler).toBe("function");
  return module.handler;
}

const context = {
  functionName: "test",
  awsRequestId: "request-1",
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const sqsRecord = (messageId: string, body: string) => ({
  messageId,
  receiptHandle: messageId,
  body,
  attributes: { ApproximateReceiveCount: "1" },
  messageAttributes: {},
  md5OfBody: "",
  eventSource: "aws:sqs",
  eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:q",
  awsRegion: "us-east-1",
});

describe("each function's bundle", () => {
  it("is an ESM file with the environment's workflow files beside it", () => {
    for (const fn of FUNCTION_IDS) {
      const asset = assetOf(fn);
      expect(existsSync(join(asset, "index.mjs")), fn).toBe(true);
      expect(readdirSync(join(asset, "workflows")).sort(), fn).toEqual([
        "cleanup.yaml",
        "nightly_report.yaml",
        "unscheduled.yaml",
      ]);
    }
  });

  it("fits the per-function budget, as deployed (minified)", () => {
    for (const fn of FUNCTION_IDS) {
      const bytes = statSync(join(assetOf(fn), "index.mjs")).size;
      expect(bytes, `${fn} is ${(bytes / 1024).toFixed(1)} KB`).toBeLessThanOrEqual(
        BUNDLE_BUDGET_BYTES,
      );
    }
  });

  it("api: answers a health check through the HTTP API v2 event shape", async () => {
    const handler = await handlerOf("api");
    const response = (await handler(
      {
        version: "2.0",
        routeKey: "$default",
        rawPath: "/healthz",
        rawQueryString: "",
        headers: { host: "api.example.com" },
        requestContext: {
          accountId: "123456789012",
          apiId: "api",
          domainName: "api.example.com",
          http: {
            method: "GET",
            path: "/healthz",
            protocol: "HTTP/1.1",
            sourceIp: "127.0.0.1",
            userAgent: "test",
          },
          requestId: "request-1",
          routeKey: "$default",
          stage: "$default",
          time: "01/Jan/2030:00:00:00 +0000",
          timeEpoch: 1_893_456_000_000,
        },
        isBase64Encoded: false,
      },
      context,
    )) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
  });

  it.each(["stepWorker", "compensator"] as const)(
    "%s: reports a malformed task as a failed record of the batch",
    async (fn) => {
      const handler = await handlerOf(fn);
      // Powertools throws when every record of a batch failed, so that Lambda retries it whole.
      await expect(handler({ Records: [sqsRecord("m1", "not json")] }, context)).rejects.toThrow(
        /All records failed processing/,
      );
    },
  );

  it("run-trigger: refuses a scheduled start of a workflow it does not carry", async () => {
    const handler = await handlerOf("runTrigger");
    await expect(
      handler(
        { workflow: "no_such_workflow", version: "1.0", input: {}, schedule: "rate(1 hour)" },
        context,
      ),
    ).rejects.toThrow("workflow no_such_workflow@1.0 is not deployed");
  });

  it("sweeper: starts a sweep, which reaches for the table", async () => {
    const handler = await handlerOf("sweeper");
    const error = await handler({}, context).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    // The bundle loaded and ran: the failure is the unreachable table, not the code.
    expect(error?.name).not.toMatch(/ReferenceError|SyntaxError|TypeError/);
    expect(String(error?.message)).toMatch(/ECONNREFUSED/);
  });
});
