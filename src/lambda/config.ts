/** The settings a Maestro Lambda function reads from its environment (set by the CDK stack). */
export interface LambdaConfig {
  readonly tableName: string;
  readonly stepQueueUrl: string;
  readonly compensationQueueUrl: string;
  readonly runQueueUrl?: string;
  readonly workflowsDir: string;
  /** Override for the AWS endpoints (local emulators); unset in AWS. */
  readonly endpoint?: string;
  /** The api refuses new runs with 429 while more tasks than this wait in the step queue. */
  readonly maxBacklog?: number;
  /** Key material that seals sensitive values in the saga log (tests, the local harness). */
  readonly sealingKey?: string;
  /** The Secrets Manager secret (ARN or name) holding that key material: how the stack sets it. */
  readonly sealingKeySecret?: string;
}

export function readConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): LambdaConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  return {
    tableName: required("MAESTRO_TABLE_NAME"),
    stepQueueUrl: required("MAESTRO_STEP_QUEUE_URL"),
    compensationQueueUrl: required("MAESTRO_COMPENSATION_QUEUE_URL"),
    ...(env.MAESTRO_RUN_QUEUE_URL && { runQueueUrl: env.MAESTRO_RUN_QUEUE_URL }),
    workflowsDir: env.MAESTRO_WORKFLOWS_DIR ?? "/var/task/workflows",
    ...(env.MAESTRO_AWS_ENDPOINT && { endpoint: env.MAESTRO_AWS_ENDPOINT }),
    ...(env.MAESTRO_MAX_BACKLOG && { maxBacklog: positiveInteger(env, "MAESTRO_MAX_BACKLOG") }),
    ...(env.MAESTRO_SEALING_KEY && { sealingKey: env.MAESTRO_SEALING_KEY }),
    ...(env.MAESTRO_SEALING_KEY_SECRET && { sealingKeySecret: env.MAESTRO_SEALING_KEY_SECRET }),
  };
}

function positiveInteger(env: Readonly<Record<string, string | undefined>>, name: string): number {
  const text = env[name] ?? "";
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`environment variable ${name} must be a positive integer, got "${text}"`);
  }
  return value;
}
