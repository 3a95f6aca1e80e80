/** A service in another language: the Python standard-library greeter, skipped cleanly without python3. */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { captureIo } from "../helpers/capture-io.js";

const hasPython = spawnSync("python3", ["--version"]).status === 0;
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
});

async function startGreeter(faults?: object): Promise<string> {
  child = spawn("python3", ["examples/services/python/greeter.py", "0"], {
    env: { ...process.env, ...(faults && { FAULTS: JSON.stringify(faults) }) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    if (line.startsWith("greeter=")) return line.slice("greeter=".length);
  }
  throw new Error("the python greeter did not start");
}

describe.skipIf(!hasPython)("a Python service", () => {
  it("runs hello_world against it, retrying its injected failures", async () => {
    const url = await startGreeter({ times: 2, status: 503 });
    const io = captureIo();
    const code = await main(
      [
        "execute",
        "examples/workflows/hello_world.yaml",
        "--input",
        '{"name":"Grace"}',
        "--endpoint",
        `greeter=${url}`,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.out.join(""))).toMatchObject({
      status: "succeeded",
      output: { message: "Hello, Grace!" },
    });
    const attempts = io.err
      .join("")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.stepId === "greet");
    expect(attempts.map((l) => l.attempt)).toEqual([1, 2, 3]);
  });
});
