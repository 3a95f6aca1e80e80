import { memoryStore, type Store } from "./stores.js";

/** Opens the store `serve` was asked for; `dir` is the data directory of a durable store. */
export async function openStore(kind: string, _dir: string): Promise<Store> {
  switch (kind) {
    case "memory":
      return memoryStore();
    default:
      throw new Error(`--store must be memory, not "${kind}"`);
  }
}
