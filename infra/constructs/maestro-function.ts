import { join } from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { FunctionAccess, QueueId } from "../access.js";
import type { FunctionId, FunctionSettings, LogLevel, TracingMode } from "../config.js";
import { BUNDLE, FUNCTIONS, REPO_ROOT } from "../functions.js";
import type { BundledFile } from "../workflows.js";
import type { SagaTable } from "./saga-table.js";

/** What every function of one stack shares. */
export interface FunctionRuntime {
  readonly namePrefix: string;
  /** Variables every function gets (table, queue URLs, logging). */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  readonly logLevel: LogLevel;
  readonly tracing: TracingMode;
  readonly otelLayerArn?: string;
  readonly protectData: boolean;
  /** Copied into each bundle's `workflows/` folder. */
  readonly workflowFiles: readonly BundledFile[];
  readonly table: SagaTable;
  readonly queues: Readonly<Record<QueueId, sqs.IQueue>>;
}

export interface MaestroFunctionProps {
  readonly runtime: FunctionRuntime;
  readonly fn: FunctionId;
  readonly settings: FunctionSettings;
  readonly access: FunctionAccess;
  /** Variables for this function only. */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * One Maestro Lambda function: its esbuild bundle (ESM, arm64, Node 22, the AWS SDK left to
 * the runtime) with the environment's workflow files inside, its log group, and a role that
 * holds exactly its {@link FunctionAccess} — no managed policies.
 */
export class MaestroFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: MaestroFunctionProps) {
    super(scope, id);
    const { runtime, settings, access } = props;
    const functionName = `${runtime.namePrefix}-${FUNCTIONS[props.fn].name}`;
    this.logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: runtime.logRetentionDays,
      removalPolicy: runtime.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${functionName}: its log group, table and queue actions only`,
    });
    this.logGroup.grantWrite(role);
    const traced = runtime.tracing !== "off";
    this.function = new NodejsFunction(this, "Function", {
      functionName,
      entry: join(REPO_ROOT, FUNCTIONS[props.fn].entry),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      ...(settings.reservedConcurrency !== undefined && {
        reservedConcurrentExecutions: settings.reservedConcurrency,
      }),
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[runtime.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      tracing: traced ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(runtime.tracing === "otel" &&
        runtime.otelLayerArn !== undefined && {
          layers: [
            lambda.LayerVersion.fromLayerVersionArn(this, "OtelLayer", runtime.otelLayerArn),
          ],
        }),
      environment: {
        ...runtime.environment,
        // The ADOT layer registers its tracer provider through this wrapper before the handler
        // loads, so the spans Maestro makes through @opentelemetry/api are exported.
        ...(runtime.tracing === "otel" &&
          runtime.otelLayerArn !== undefined && { AWS_LAMBDA_EXEC_WRAPPER: "/opt/otel-handler" }),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE.target,
        minify: true,
        sourceMap: false,
        externalModules: [...BUNDLE.externals],
        mainFields: [...BUNDLE.mainFields],
        banner: BUNDLE.banner,
        esbuildArgs: {
          "--alias": Object.entries(BUNDLE.alias).map(([from, to]) => `${from}=${to}`),
        },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => copyCommands(runtime.workflowFiles, outputDir),
        },
      },
    });
    runtime.table.grant(this.function, access.table, access.queryIndexes);
    for (const queue of access.sendsTo) {
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: ["sqs:SendMessage"],
        resourceArns: [runtime.queues[queue].queueArn],
      });
    }
    for (const queue of access.readsDepthOf ?? []) {
      iam.Grant.addToPrincipal({
        grantee: this.function,
        actions: ["sqs:GetQueueAttributes"],
        resourceArns: [runtime.queues[queue].queueArn],
      });
    }
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Pinned to Node 22: the bundles target it and the runtime's AWS SDK v3 is what they are tested against; moving to a newer runtime is a deliberate upgrade.",
    });
    if (traced) {
      Validations.of(role).acknowledge({
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so active tracing needs Resource *.",
      });
    }
  }
}

/** Shell commands that put the workflow files under `<outputDir>/workflows/`. */
function copyCommands(files: readonly BundledFile[], outputDir: string): string[] {
  const folder = join(outputDir, BUNDLE.workflowsFolder);
  const targets = files.map((f) => ({ source: f.source, target: join(folder, f.target) }));
  const folders = new Set([folder, ...targets.map((t) => join(t.target, ".."))]);
  return [
    `mkdir -p ${[...folders].map(quote).join(" ")}`,
    ...targets.map((t) => `cp ${quote(t.source)} ${quote(t.target)}`),
  ];
}

function quote(path: string): string {
  return `'${path.replace(/'/g, `'\\''`)}'`;
}
