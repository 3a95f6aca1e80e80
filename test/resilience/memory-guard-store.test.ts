import { createMemoryGuardStore } from "../../src/adapters/memory/memory-guard-store.js";
import { runGuardStoreContract } from "../contracts/guard-store-contract.js";

runGuardStoreContract("memory", async () => createMemoryGuardStore());
