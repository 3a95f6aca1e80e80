/**
 * Secrets for outbound calls (API keys, bearer tokens), read by name where they are used
 * (`{{ secret "crm-api-key" }}`) and never written to logs, the saga log or API responses.
 */
export interface SecretStore {
  /** The secret's value, or undefined when no secret has that name. */
  get(name: string): Promise<string | undefined>;
}

export const noSecrets: SecretStore = { get: async () => undefined };
