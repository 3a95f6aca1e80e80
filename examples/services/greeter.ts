/**
 * The service behind examples/workflows/hello_world.yaml. Alone:
 * `npx tsx examples/services/greeter.ts [port]`.
 */
import { fileURLToPath } from "node:url";
import { createService, listen, newState, type RunningService } from "./toolkit.js";

export async function startGreeter(port = 0): Promise<RunningService> {
  const state = newState();
  const app = createService(
    {
      "POST /greetings": (body) => ({
        body: { message: `Hello, ${String(body.name ?? "world")}!` },
      }),
    },
    state,
  );
  return listen("greeter", app, state, port);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const greeter = await startGreeter(Number(process.argv[2] ?? 0));
  console.log(`greeter=${greeter.url}`);
}
