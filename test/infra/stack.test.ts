import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_IDS, FUNCTIONS } from "../../infra/functions.js";
import { SAGA_TABLE } from "../../src/adapters/dynamodb/index.js";
import { dev, functionId, physicalNames, prod, type Synthesized, synth } from "./synth.js";

let devStack: Synthesized;
let prodStack: Synthesized;

beforeAll(async () => {
  [devStack, prodStack] = await Promise.all([synth("dev"), synth("prod")]);
});

describe("the saga table", () => {
  it("is on-demand, keyed and indexed as the DynamoDB adapter expects, with TTL, PITR and KMS", () => {
    devStack.template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "maestro-dev-sagas",
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: SAGA_TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: SAGA_TABLE.sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [SAGA_TABLE.byStatus, SAGA_TABLE.byWorkflowStatus].map((index) =>
        Match.objectLike({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: "HASH" },
            { AttributeName: index.sortKey, KeyType: "RANGE" },
          ],
        }),
      ),
      TimeToLiveSpecification: { AttributeName: SAGA_TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // Enabled without a key: the AWS-managed aws/dynamodb KMS key.
      SSESpecification: { SSEEnabled: true, SSEType: Match.absent() },
    });
  });

  it("is deletion-protected and retained in prod only", () => {
    devStack.template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Delete",
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    prodStack.template.hasResource("AWS::DynamoDB::Table", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    expect(prodStack.stack.terminationProtection).toBe(true);
    expect(devStack.stack.terminationProtection).toBe(false);
  });
});

describe("the sealing key", () => {
  it("is a generated secret per environment, named to every function, retained in prod only", () => {
    for (const [s, prefix, policy] of [
      [devStack, "maestro-dev", "Delete"],
      [prodStack, "maestro-prod", "Retain"],
    ] as const) {
      const secrets = s.template.findResources("AWS::SecretsManager::Secret");
      expect(Object.keys(secrets)).toHaveLength(1);
      const [id, secret] = Object.entries(secrets)[0] as [string, Record<string, unknown>];
      expect(secret.DeletionPolicy).toBe(policy);
      expect(secret.Properties).toMatchObject({
        Name: `${prefix}/sealing-key`,
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      });
      for (const fn of FUNCTION_IDS) {
        s.template.hasResourceProperties("AWS::Lambda::Function", {
          FunctionName: `${prefix}-${FUNCTIONS[fn].name}`,
          Environment: {
            Variables: Match.objectLike({ MAESTRO_SEALING_KEY_SECRET: { Ref: id } }),
          },
        });
      }
    }
  });
});

describe("the queues", () => {
  it("each have an encrypted, TLS-only DLQ and a visibility timeout of 6× their consumer's timeout", () => {
    const { template } = prodStack;
    const queues = [
      ["step-tasks", "stepWorker"],
      ["compensation-tasks", "compensator"],
      ["run-requests", "runTrigger"],
    ] as const;
    for (const [name, consumer] of queues) {
      template.hasResourceProperties("AWS::SQS::Queue", {
        QueueName: `maestro-prod-${name}`,
        VisibilityTimeout: 6 * prod.functions[consumer].timeoutSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: Match.anyValue(),
          maxReceiveCount: prod.consumers[consumer].maxReceiveCount,
        },
      });
      template.hasResourceProperties("AWS::SQS::Queue", {
        QueueName: `maestro-prod-${name}-dlq`,
        MessageRetentionPeriod: 14 * 86_400,
        SqsManagedSseEnabled: true,
      });
    }
    // Three queues, three DLQs and the schedules' DLQ, each refusing plain HTTP.
    template.resourceCountIs("AWS::SQS::Queue", 7);
    template.resourceCountIs("AWS::SQS::QueuePolicy", 7);
    template.allResourcesProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("feed their functions with partial batch responses and a maximum concurrency", () => {
    const { template } = prodStack;
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 3);
    for (const fn of ["stepWorker", "compensator", "runTrigger"] as const) {
      template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        FunctionName: { Ref: functionId(prodStack, fn) },
        BatchSize: prod.consumers[fn].batchSize,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: prod.consumers[fn].maxConcurrency },
      });
    }
  });
});

describe("the functions", () => {
  it("are ESM bundles on Node 22 arm64 with the runtime's settings in their environment", () => {
    const { template } = devStack;
    template.resourceCountIs("AWS::Lambda::Function", 5);
    for (const fn of FUNCTION_IDS) {
      template.hasResourceProperties("AWS::Lambda::Function", {
        FunctionName: `maestro-dev-${FUNCTIONS[fn].name}`,
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        MemorySize: dev.functions[fn].memoryMb,
        Timeout: dev.functions[fn].timeoutSeconds,
        LoggingConfig: Match.objectLike({ LogFormat: "JSON", LogGroup: { Ref: Match.anyValue() } }),
        Environment: {
          Variables: Match.objectLike({
            MAESTRO_TABLE_NAME: { Ref: Match.stringLikeRegexp("SagaTable") },
            MAESTRO_STEP_QUEUE_URL: { Ref: Match.stringLikeRegexp("^StepQueue") },
            MAESTRO_COMPENSATION_QUEUE_URL: { Ref: Match.stringLikeRegexp("^CompensationQueue") },
            MAESTRO_RUN_QUEUE_URL: { Ref: Match.stringLikeRegexp("^RunQueue") },
            MAESTRO_WORKFLOWS_DIR: "/var/task/workflows",
            MAESTRO_TRACING: "off",
            POWERTOOLS_SERVICE_NAME: "maestro-dev",
            POWERTOOLS_LOG_LEVEL: "DEBUG",
          }),
        },
      });
    }
  });

  it("write to log groups named after them, retained in prod", () => {
    for (const fn of FUNCTION_IDS) {
      devStack.template.hasResource("AWS::Logs::LogGroup", {
        DeletionPolicy: "Delete",
        Properties: {
          LogGroupName: `/aws/lambda/maestro-dev-${FUNCTIONS[fn].name}`,
          RetentionInDays: 14,
        },
      });
      prodStack.template.hasResource("AWS::Logs::LogGroup", {
        DeletionPolicy: "Retain",
        Properties: {
          LogGroupName: `/aws/lambda/maestro-prod-${FUNCTIONS[fn].name}`,
          RetentionInDays: 90,
        },
      });
    }
  });

  it("take memory, timeout and reserved concurrency from the environment", () => {
    prodStack.template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "maestro-prod-sweeper",
      ReservedConcurrentExecutions: 1,
    });
    prodStack.template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "maestro-prod-step-worker",
      MemorySize: 1024,
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it("give the api a backlog bound only when one is configured", async () => {
    const bounded = await synth("dev", { maxBacklog: "5000" });
    bounded.template.hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "maestro-dev-api",
      Environment: { Variables: Match.objectLike({ MAESTRO_MAX_BACKLOG: "5000" }) },
    });
    for (const s of [devStack, prodStack]) {
      const api = s.template.toJSON().Resources[functionId(s, "api")];
      expect(api.Properties.Environment.Variables.MAESTRO_MAX_BACKLOG).toBeUndefined();
    }
  });

  it("trace with X-Ray or OpenTelemetry when asked, and not otherwise", async () => {
    devStack.template.allResourcesProperties("AWS::Lambda::Function", {
      TracingConfig: Match.absent(),
    });
    prodStack.template.allResourcesProperties("AWS::Lambda::Function", {
      TracingConfig: { Mode: "Active" },
      Environment: { Variables: Match.objectLike({ MAESTRO_TRACING: "xray" }) },
    });
    const layer = "arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-nodejs-arm64-ver-1-30-2:1";
    const otel = await synth("dev", { tracing: "otel", otelLayerArn: layer });
    otel.template.allResourcesProperties("AWS::Lambda::Function", {
      TracingConfig: { Mode: "Active" },
      Layers: [layer],
      Environment: {
        Variables: Match.objectLike({
          MAESTRO_TRACING: "otel",
          AWS_LAMBDA_EXEC_WRAPPER: "/opt/otel-handler",
        }),
      },
    });
    prodStack.template.allResourcesProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.not(Match.objectLike({ AWS_LAMBDA_EXEC_WRAPPER: Match.anyValue() })),
      },
    });
  });
});

describe("environments side by side", () => {
  it("name every resource after its environment, so dev and prod share no name", () => {
    const devNames = [...physicalNames(devStack.template).values()];
    const prodNames = [...physicalNames(prodStack.template).values()];
    expect(devNames.length).toBeGreaterThan(20);
    for (const name of devNames) expect(name).toMatch(/maestro-dev|^sweeper$/);
    for (const name of prodNames) expect(name).toMatch(/maestro-prod|^sweeper$/);
    // Schedule names are unique per group, and the groups differ.
    expect(devNames.filter((n) => prodNames.includes(n))).toEqual(["sweeper"]);
    expect(devStack.stack.stackName).toBe("maestro-dev");
    expect(prodStack.stack.stackName).toBe("maestro-prod");
  });

  it("output the API URL, the table name and the queue URLs", () => {
    const outputs = Object.keys(devStack.template.toJSON().Outputs as object);
    expect(outputs).toEqual(
      expect.arrayContaining([
        "ApiUrl",
        "TableName",
        "StepQueueUrl",
        "CompensationQueueUrl",
        "RunQueueUrl",
        "AlarmTopicArn",
      ]),
    );
  });
});
