/**
 * Secrets on Lambda: AWS Secrets Manager by default, or SSM Parameter Store for names
 * written `ssm:/path/to/param` (decrypted). Cached by the Powertools parameters utility
 * so a warm function does not fetch a secret per call.
 */

import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import type { SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";
import type { SSMClientConfig } from "@aws-sdk/client-ssm";
import type { SecretStore } from "../../ports/secrets.js";

export interface AwsSecretsOptions {
  /** How long a fetched value is reused. @default 300 */
  readonly maxAgeSeconds?: number;
  /** Client settings (region, endpoint…); the Lambda environment's defaults otherwise. */
  readonly secretsManager?: SecretsManagerClientConfig;
  readonly ssm?: SSMClientConfig;
}

function isNotFound(error: unknown): boolean {
  const names = [
    (error as Error)?.name,
    ((error as { cause?: Error })?.cause as Error | undefined)?.name,
  ];
  return names.some((n) => n === "ResourceNotFoundException" || n === "ParameterNotFound");
}

export function createAwsSecrets(options: AwsSecretsOptions = {}): SecretStore {
  const maxAge = options.maxAgeSeconds ?? 300;
  let secrets: SecretsProvider | undefined;
  let ssm: SSMProvider | undefined;
  // Providers (and their SDK clients) are made on first use: most functions never read one.
  const parameterStore = () => {
    ssm ??= new SSMProvider({ clientConfig: options.ssm ?? {} });
    return ssm;
  };
  const secretsManager = () => {
    secrets ??= new SecretsProvider({ clientConfig: options.secretsManager ?? {} });
    return secrets;
  };
  return {
    async get(name) {
      try {
        const value = name.startsWith("ssm:")
          ? await parameterStore().get(name.slice(4), { decrypt: true, maxAge })
          : await secretsManager().get(name, { maxAge });
        if (value === undefined) return undefined;
        return typeof value === "string"
          ? value
          : Buffer.from(value as Uint8Array).toString("utf8");
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
  };
}
