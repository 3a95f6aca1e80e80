import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_IDS, FUNCTIONS } from "../../infra/functions.js";
import {
  AUTH,
  FULL_PROD_CONTEXT,
  functionId,
  prod,
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

describe("the HTTP API", () => {
  it("requires IAM (SigV4) callers when no JWT issuer is configured", () => {
    devStack.template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      Name: "maestro-dev-api",
      ProtocolType: "HTTP",
    });
    devStack.template.allResourcesProperties("AWS::ApiGatewayV2::Route", {
      AuthorizationType: "AWS_IAM",
    });
    devStack.template.resourceCountIs("AWS::ApiGatewayV2::Authorizer", 0);
    devStack.template.resourceCountIs("AWS::Lambda::Url", 0);
  });

  it("has a JWT authorizer on every route when auth is configured, and tells the function", () => {
    const { template } = fullProd;
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
      JwtConfiguration: { Issuer: AUTH.authIssuer, Audience: [AUTH.authAudience] },
    });
    template.allResourcesProperties("AWS::ApiGatewayV2::Route", { AuthorizationType: "JWT" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "maestro-prod-api",
      Environment: {
        Variables: Match.objectLike({
          MAESTRO_AUTH_ISSUER: AUTH.authIssuer,
          MAESTRO_AUTH_AUDIENCE: AUTH.authAudience,
        }),
      },
    });
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
  });

  it("logs access and throttles at its stage", () => {
    prodStack.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      DefaultRouteSettings: {
        ThrottlingRateLimit: prod.api.throttle.rateLimit,
        ThrottlingBurstLimit: prod.api.throttle.burstLimit,
      },
    });
  });
});

describe("schedules", () => {
  const schedules = (s: Synthesized) =>
    Object.values(resourcesOf(s.template, "AWS::Scheduler::Schedule"));

  it("create one schedule per schedule trigger of the deployed workflows, invoking the run trigger", () => {
    const runTrigger = functionId(fullProd, "runTrigger");
    const workflowSchedules = schedules(fullProd).filter((r) => r.Properties?.Name !== "sweeper");
    const byExpression = Object.fromEntries(
      workflowSchedules.map((r) => [r.Properties?.ScheduleExpression, r.Properties]),
    );
    expect(Object.keys(byExpression).sort()).toEqual([
      "cron(0 12 ? * SUN *)",
      "cron(30 2 ? * 2-6 *)",
      "rate(6 hours)",
    ]);
    for (const props of workflowSchedules.map((r) => r.Properties)) {
      expect(props).toMatchObject({
        GroupName: "maestro-prod",
        ScheduleExpressionTimezone: "Etc/UTC",
        Target: { Arn: { "Fn::GetAtt": [runTrigger, "Arn"] } },
      });
    }
    const weekday = byExpression["cron(30 2 ? * 2-6 *)"] as { Target: { Input: string } };
    expect(JSON.parse(weekday.Target.Input)).toEqual({
      workflow: "nightly_report",
      version: "2.1",
      input: { kind: "weekday" },
      schedule: "30 2 * * 1-5",
      scheduledTime: "<aws.scheduler.scheduled-time>",
    });
    const [groupId] = Object.keys(resourcesOf(fullProd.template, "AWS::Scheduler::ScheduleGroup"));
    fullProd.template.hasResourceProperties("AWS::Scheduler::ScheduleGroup", {
      Name: "maestro-prod",
    });
    fullProd.template.allResources("AWS::Scheduler::Schedule", {
      DependsOn: Match.arrayWith([groupId]),
    });
  });

  it("create none for workflows without schedules, and always one for the sweeper", () => {
    // dev deploys the examples, which have no schedules.
    expect(schedules(devStack).map((r) => r.Properties?.Name)).toEqual(["sweeper"]);
    devStack.template.hasResourceProperties("AWS::Scheduler::Schedule", {
      Name: "sweeper",
      ScheduleExpression: "rate(1 minute)",
      Target: { Arn: { "Fn::GetAtt": [functionId(devStack, "sweeper"), "Arn"] } },
    });
  });

  it("fail the synth with file:line:column when a deployed workflow is invalid", async () => {
    await expect(
      synth("dev", { workflows: "test/fixtures/invalid/triggers.yaml" }),
    ).rejects.toThrow(
      /test\/fixtures\/invalid\/triggers\.yaml:12:15: schedule: invalid cron expression/,
    );
  });
});

describe("alarms", () => {
  it("watch every DLQ, every function's errors and run failures, and notify the topic", () => {
    const { template } = fullProd;
    template.resourceCountIs("AWS::CloudWatch::Alarm", 4 + 5 + 1);
    for (const dlq of ["step-tasks", "compensation-tasks", "run-requests", "schedules"]) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: `maestro-prod-${dlq}-dead-letters`,
        MetricName: "ApproximateNumberOfMessagesVisible",
        Namespace: "AWS/SQS",
        Threshold: 1,
      });
    }
    for (const fn of FUNCTION_IDS) {
      template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: `maestro-prod-${FUNCTIONS[fn].name}-errors`,
        MetricName: "Errors",
        Namespace: "AWS/Lambda",
        Dimensions: [{ Name: "FunctionName", Value: { Ref: functionId(fullProd, fn) } }],
        Threshold: prod.alarms.workerErrors,
      });
    }
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "maestro-prod-run-failures",
      Namespace: "Maestro",
      MetricName: "RunsFailed",
      Dimensions: [{ Name: "service", Value: "maestro-prod" }],
    });
    template.allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [{ Ref: Match.stringLikeRegexp("AlarmsTopic") }],
    });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });
});

describe("outputs", () => {
  it("include the Function URL when there is one", () => {
    expect(Object.keys(devStack.template.toJSON().Outputs as object)).not.toContain("FunctionUrl");
    expect(Object.keys(fullProd.template.toJSON().Outputs as object)).toContain("FunctionUrl");
  });
});
