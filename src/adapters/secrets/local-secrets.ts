/**
 * Secrets for local runs: an environment variable `MAESTRO_SECRET_<NAME>` (the name upper-
 * cased, non-alphanumerics as `_`), or a file `<dir>/<name>` (trailing newline dropped),
 * e.g. a mounted secrets directory.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SecretStore } from "../../ports/secrets.js";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,255}$/;

export function envVarFor(name: string): string {
  return `MAESTRO_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

export function createLocalSecrets(options: {
  env?: Readonly<Record<string, string | undefined>>;
  dir?: string;
}): SecretStore {
  const env = options.env ?? process.env;
  return {
    async get(name) {
      if (!SAFE_NAME.test(name) || name.includes("..")) return undefined;
      const fromEnv = env[envVarFor(name)];
      if (fromEnv !== undefined) return fromEnv;
      if (options.dir === undefined) return undefined;
      try {
        return (await readFile(join(options.dir, name), "utf8")).replace(/\r?\n$/, "");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
  };
}
