/** An SQS emulator (fauxqs) inside this process, on 127.0.0.1 and a free port. */
import { buildApp } from "fauxqs";
import type { RunningEmulator } from "./dynamo-local.js";

export async function startFauxqs(): Promise<RunningEmulator> {
  // Not fauxqs's own startFauxqs(): that one binds every interface.
  const app = buildApp({ logger: false });
  const endpoint = await app.listen({ port: 0, host: "127.0.0.1" });
  return { endpoint, stop: () => app.close() };
}
