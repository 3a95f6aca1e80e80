/**
 * Secrets on Lambda: AWS Secrets Manager by default, or SSM Parameter Store for names
 * written `ssm:/path/to/param` (decrypted). Cached by the Powertools parameters utility
 * so a warm function does not fetch a secret per call.
 */
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { getParameter } from "@aws-lambda-powertools/parameters/ssm";
import type { SecretStore } from "../../ports/secrets.js";

export function createAwsSecrets(options: { maxAgeSeconds?: number } = {}): SecretStore {
  const maxAge = options.maxAgeSeconds ?? 300;
  return {
    async get(name) {
      const value = name.startsWith("ssm:")
        ? await getParameter(name.slice(4), { decrypt: true, maxAge })
        : await getSecret(name, { maxAge });
      if (value === undefined) return undefined;
      return typeof value === "string" ? value : Buffer.from(value as Uint8Array).toString("utf8");
    },
  };
}
