/**
 * The sealing keys of a Lambda function: from `MAESTRO_SEALING_KEY`, or fetched once per
 * cold start from the Secrets Manager secret the stack names in `MAESTRO_SEALING_KEY_SECRET`.
 * Without either, sensitive values are stored in the clear, and the function says so once.
 */
import { parseSealingKeys, type SealingKeys } from "../adapters/sealing/sealing-keys.js";
import type { Logger } from "../ports/logger.js";
import type { WorkflowCatalog } from "../runtime/workflow-source.js";
import type { LambdaConfig } from "./config.js";

export async function lambdaSealingKeys(
  config: LambdaConfig,
  workflows: WorkflowCatalog,
  logger: Logger,
): Promise<SealingKeys | undefined> {
  if (config.sealingKey !== undefined) {
    return parseSealingKeys(config.sealingKey, "MAESTRO_SEALING_KEY");
  }
  const secretId = config.sealingKeySecret;
  if (secretId !== undefined) {
    // The SDK is the runtime's (external to the bundle); only cold starts load it.
    const { SecretsManagerClient, GetSecretValueCommand } = await import(
      "@aws-sdk/client-secrets-manager"
    );
    const client = new SecretsManagerClient(
      config.endpoint === undefined ? {} : { endpoint: config.endpoint },
    );
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    client.destroy();
    if (SecretString === undefined) {
      throw new Error(`sealing key secret ${secretId} has no string value`);
    }
    return parseSealingKeys(SecretString, `sealing key secret ${secretId}`);
  }
  const marked = (await workflows.list()).filter((w) => w.sensitive.length > 0);
  if (marked.length > 0) {
    logger.warn("no sealing key configured: sensitive fields are stored in the clear", {
      workflows: marked.map((w) => `${w.name}@${w.version}`),
    });
  }
  return undefined;
}
