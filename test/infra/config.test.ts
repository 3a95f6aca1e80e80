import { describe, expect, it } from "vitest";
import { ENVIRONMENTS } from "../../infra/config.js";
import { resolveEnvironment } from "../../infra/resolve-config.js";

const fromContext = (context: Record<string, unknown>) => resolveEnvironment((key) => context[key]);

describe("environment settings", () => {
  it("selects the environment named by -c env", () => {
    expect(fromContext({ env: "dev" })).toEqual(ENVIRONMENTS.dev);
    expect(fromContext({ env: "prod" }).namePrefix).toBe("maestro-prod");
  });

  it("refuses a missing or unknown environment, naming the known ones", () => {
    expect(() => fromContext({})).toThrow("-c env=<dev|prod>");
    expect(() => fromContext({ env: "staging" })).toThrow(
      'unknown environment "staging": expected one of dev, prod',
    );
  });

  it("applies flat -c overrides", () => {
    const env = fromContext({
      env: "prod",
      account: "123456789012",
      region: "eu-west-1",
      logRetentionDays: "30",
      alarmEmail: "ops@example.com",
      authIssuer: "https://login.example.com/",
      authAudience: "maestro, admin",
      workflows: "a.yaml,b/*.yaml",
    });
    expect(env).toMatchObject({
      account: "123456789012",
      region: "eu-west-1",
      logRetentionDays: 30,
      alarms: { email: "ops@example.com", workerErrors: 1 },
      auth: { issuer: "https://login.example.com/", audience: ["maestro", "admin"] },
      workflows: ["a.yaml", "b/*.yaml"],
    });
  });

  it("deep-merges maestro:<env>, from cdk.json (an object) or the command line (JSON)", () => {
    const override = { functions: { stepWorker: { memoryMb: 2048 } }, protectData: false };
    for (const value of [override, JSON.stringify(override)]) {
      const env = fromContext({ env: "prod", "maestro:prod": value });
      expect(env.functions.stepWorker).toEqual({ memoryMb: 2048, timeoutSeconds: 60 });
      expect(env.functions.api).toEqual(ENVIRONMENTS.prod?.functions.api);
      expect(env.protectData).toBe(false);
    }
  });

  it("reports every invalid setting at once, with its path", () => {
    const attempt = () =>
      fromContext({
        env: "dev",
        namePrefix: "Maestro_Dev",
        logRetentionDays: "10",
        sweeperSchedule: "every minute",
        "maestro:dev": { functions: { stepWorker: { reservedConcurrency: 2 } }, bogus: 1 },
      });
    expect(attempt).toThrow(/namePrefix: must be 2–40 lowercase/);
    expect(attempt).toThrow(/logRetentionDays: must be one of 1, 3, 5/);
    expect(attempt).toThrow(/sweeperSchedule: schedule "every minute"/);
    expect(attempt).toThrow(
      /functions\.stepWorker\.reservedConcurrency: is below consumers\.stepWorker\.maxConcurrency/,
    );
    expect(attempt).toThrow(/bogus/);
  });

  it("takes the api's backlog bound as a positive integer", () => {
    expect(fromContext({ env: "dev", maxBacklog: "5000" }).api.maxBacklog).toBe(5000);
    expect(fromContext({ env: "dev" }).api.maxBacklog).toBeUndefined();
    for (const bad of ["lots", "0", "2.5"]) {
      expect(() => fromContext({ env: "dev", maxBacklog: bad }), bad).toThrow(/api\.maxBacklog/);
    }
  });

  it("refuses a public Function URL without JWT auth", () => {
    expect(() => fromContext({ env: "dev", functionUrl: "none" })).toThrow(
      "api.functionUrl: a public Function URL needs `auth`",
    );
    expect(fromContext({ env: "dev", functionUrl: "iam" }).api.functionUrl).toBe("iam");
  });
});
