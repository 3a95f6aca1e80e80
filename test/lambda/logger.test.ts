import { describe, expect, it } from "vitest";
import { lambdaLogger } from "../../src/lambda/logger.js";

function capture(env: Record<string, string | undefined>) {
  const lines: Record<string, unknown>[] = [];
  const logger = lambdaLogger({
    env,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => Date.UTC(2026, 11, 5, 12, 0, 0),
  });
  return { logger, lines };
}

describe("lambdaLogger", () => {
  it("writes the Powertools shape with the invocation's X-Ray trace id and the fields", () => {
    const env: Record<string, string | undefined> = {
      POWERTOOLS_SERVICE_NAME: "maestro-dev",
      _X_AMZN_TRACE_ID:
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    };
    const { logger, lines } = capture(env);
    logger.child({ runId: "r1" }).child({ stepId: "charge" }).info("step started", { attempt: 2 });
    env._X_AMZN_TRACE_ID = "Root=1-5759e988-00000000e1be46a994272793;Sampled=0";
    logger.warn("next invocation");
    expect(lines).toEqual([
      {
        level: "INFO",
        message: "step started",
        timestamp: "2026-12-05T12:00:00.000Z",
        service: "maestro-dev",
        sampling_rate: 0,
        xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
        runId: "r1",
        stepId: "charge",
        attempt: 2,
      },
      expect.objectContaining({
        level: "WARN",
        message: "next invocation",
        xray_trace_id: "1-5759e988-00000000e1be46a994272793",
      }),
    ]);
  });

  it("honours POWERTOOLS_LOG_LEVEL, then AWS_LAMBDA_LOG_LEVEL, and defaults to INFO", () => {
    const levels = (env: Record<string, string | undefined>) => {
      const { logger, lines } = capture(env);
      logger.debug("d");
      logger.info("i");
      logger.warn("w");
      logger.error("e");
      return lines.map((l) => l.level);
    };
    expect(levels({})).toEqual(["INFO", "WARN", "ERROR"]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: "debug" })).toEqual(["DEBUG", "INFO", "WARN", "ERROR"]);
    expect(levels({ AWS_LAMBDA_LOG_LEVEL: "WARN" })).toEqual(["WARN", "ERROR"]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: "ERROR", AWS_LAMBDA_LOG_LEVEL: "DEBUG" })).toEqual([
      "ERROR",
    ]);
    expect(levels({ POWERTOOLS_LOG_LEVEL: "loud" })).toEqual(["INFO", "WARN", "ERROR"]);
  });

  it("writes errors with their name, message and stack instead of {}", () => {
    const { logger, lines } = capture({});
    const error = Object.assign(new TypeError("bad task"), { code: "E_TASK" });
    logger.error("task failed", { error });
    expect(lines[0]).toMatchObject({
      service: "service_undefined",
      error: { name: "TypeError", message: "bad task", code: "E_TASK" },
    });
    expect(JSON.stringify(lines[0])).toContain("logger.test.ts");
    expect(lines[0]).not.toHaveProperty("xray_trace_id");
  });
});
