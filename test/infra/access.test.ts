import { Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { ACCESS } from "../../infra/access.js";
import type { FunctionId } from "../../infra/config.js";
import { FUNCTION_IDS, FUNCTIONS } from "../../infra/functions.js";
import { SAGA_TABLE } from "../../src/adapters/dynamodb/index.js";
import {
  FULL_PROD_CONTEXT,
  functionId,
  physicalNames,
  resourcesOf,
  type Synthesized,
  synth,
} from "./synth.js";

let devStack: Synthesized;
let prodStack: Synthesized;
let fullProd: Synthesized;

beforeAll(async () => {
  [devStack, prodStack, fullProd] = await Promise.all([
    synth("dev"),
    synth("prod"),
    synth("prod", FULL_PROD_CONTEXT),
  ]);
});

/** Policy statements as `action resource` lines, resources named by what they are. */
function grantsOf(s: Synthesized, fn: FunctionId): string[] {
  const { template } = s;
  const names = physicalNames(template);
  for (const [id] of Object.entries(resourcesOf(template, "AWS::DynamoDB::Table")))
    names.set(id, "table");
  const resource = (value: unknown): string => {
    if (value === "*") return "*";
    const getAtt = (value as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
    if (getAtt) return names.get(getAtt[0]) ?? getAtt[0];
    const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
    if (join)
      return join[1].map((part) => (typeof part === "string" ? part : resource(part))).join("");
    return JSON.stringify(value);
  };
  const fnResource = resourcesOf(template, "AWS::Lambda::Function")[functionId(s, fn)];
  const role = fnResource?.Properties?.Role as { "Fn::GetAtt": [string] } | undefined;
  const roleId = role?.["Fn::GetAtt"][0];
  const lines: string[] = [];
  for (const policy of Object.values(resourcesOf(template, "AWS::IAM::Policy"))) {
    const roles = policy.Properties?.Roles as { Ref: string }[];
    if (!roles.some((r) => r.Ref === roleId)) continue;
    const doc = policy.Properties?.PolicyDocument as {
      Statement: { Action: unknown; Resource: unknown }[];
    };
    for (const statement of doc.Statement) {
      for (const action of [statement.Action].flat() as string[]) {
        for (const res of [statement.Resource].flat()) lines.push(`${action} ${resource(res)}`);
      }
    }
  }
  return lines.sort();
}

const SEALING_KEY_REF = JSON.stringify({ Ref: "SealingKeySecret7F7A2744" });

function expectedGrants(prefix: string, fn: FunctionId, traced: boolean): string[] {
  const access = ACCESS[fn];
  const queueName = { step: "step-tasks", compensation: "compensation-tasks", run: "run-requests" };
  const own = {
    stepWorker: "step-tasks",
    compensator: "compensation-tasks",
    runTrigger: "run-requests",
  };
  const lines = [
    `logs:CreateLogStream /aws/lambda/${prefix}-${FUNCTIONS[fn].name}`,
    `logs:PutLogEvents /aws/lambda/${prefix}-${FUNCTIONS[fn].name}`,
    ...access.table.map((action) => `dynamodb:${action} table`),
    ...(access.queryIndexes
      ? [SAGA_TABLE.byStatus, SAGA_TABLE.byWorkflowStatus].map(
          (i) => `dynamodb:Query table/index/${i.indexName}`,
        )
      : []),
    ...access.sendsTo.map((q) => `sqs:SendMessage ${prefix}-${queueName[q]}`),
    ...(access.readsDepthOf ?? []).map((q) => `sqs:GetQueueAttributes ${prefix}-${queueName[q]}`),
    ...(traced ? ["xray:PutTelemetryRecords *", "xray:PutTraceSegments *"] : []),
  ];
  if (fn in own) {
    const queue = `${prefix}-${own[fn as keyof typeof own]}`;
    for (const action of [
      "ChangeMessageVisibility",
      "DeleteMessage",
      "GetQueueAttributes",
      "GetQueueUrl",
      "ReceiveMessage",
    ]) {
      lines.push(`sqs:${action} ${queue}`);
    }
  }
  // Every function reads or writes the saga log, whose sensitive values are sealed with one key.
  for (const action of ["DescribeSecret", "GetSecretValue"])
    lines.push(`secretsmanager:${action} ${SEALING_KEY_REF}`);
  // Failed scheduled starts go to the schedules' DLQ (the function's async failure destination).
  if (fn === "runTrigger") lines.push(`sqs:SendMessage ${prefix}-schedule-dlq`);
  return lines.sort();
}

describe("least privilege", () => {
  it("gives each function exactly its table and queue actions, on its own resources", () => {
    for (const fn of FUNCTION_IDS) {
      expect(grantsOf(devStack, fn), fn).toEqual(expectedGrants("maestro-dev", fn, false));
      expect(grantsOf(prodStack, fn), fn).toEqual(expectedGrants("maestro-prod", fn, true));
    }
  });

  it("lets the api list runs through the indexes and read the step queue's depth", () => {
    // GET /v1/runs and the run pages query the indexes; /readyz, /metrics and the overflow
    // bound read the step queue's attributes. Stated here, not derived from ACCESS.
    const api = grantsOf(prodStack, "api");
    for (const index of [SAGA_TABLE.byStatus, SAGA_TABLE.byWorkflowStatus]) {
      expect(api).toContain(`dynamodb:Query table/index/${index.indexName}`);
    }
    expect(api).toContain("sqs:GetQueueAttributes maestro-prod-step-tasks");
    expect(api).not.toContain("sqs:GetQueueAttributes maestro-prod-compensation-tasks");
  });

  it("uses no wildcard action, and Resource * only for X-Ray, which has no resource ARNs", () => {
    for (const s of [devStack, prodStack, fullProd]) {
      for (const policy of Object.values(resourcesOf(s.template, "AWS::IAM::Policy"))) {
        const doc = policy.Properties?.PolicyDocument as {
          Statement: { Action: unknown; Resource: unknown }[];
        };
        for (const statement of doc.Statement) {
          const actions = [statement.Action].flat() as string[];
          expect(actions.filter((a) => a.includes("*"))).toEqual([]);
          if ([statement.Resource].flat().includes("*")) {
            expect(actions.every((a) => a.startsWith("xray:"))).toBe(true);
          }
        }
      }
      expect(Object.keys(resourcesOf(s.template, "AWS::IAM::Role")).length).toBeGreaterThan(0);
      s.template.allResourcesProperties("AWS::IAM::Role", { ManagedPolicyArns: Match.absent() });
    }
  });

  it("passes cdk-nag's AwsSolutions checks, with each suppression reasoned", () => {
    for (const s of [devStack, prodStack, fullProd]) {
      const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(s.stack);
      expect(
        report.violations.map(
          (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`,
        ),
      ).toEqual([]);
    }
  });
});
