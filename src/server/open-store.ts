import { embeddedStore, memoryStore, type Store } from "./stores.js";

/** Opens the store `serve` was asked for; `dir` is the embedded store's data directory. */
export async function openStore(
  kind: string,
  dir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Store> {
  switch (kind) {
    case "memory":
      return memoryStore();
    case "embedded":
      return embeddedStore(dir, env);
    default:
      throw new Error(`--store must be embedded or memory, not "${kind}"`);
  }
}
