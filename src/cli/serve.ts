import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createLocalSecrets } from "../adapters/secrets/local-secrets.js";
import { createAuth } from "../api/auth.js";
import { createConnectCaller } from "../callers/connect-caller.js";
import { dispatchByType } from "../callers/dispatch.js";
import { createHttpCaller } from "../callers/http-caller.js";
import { openStore } from "../server/open-store.js";
import { startServer } from "../server/server.js";
import { createJsonLogger } from "../util/json-logger.js";
import { formatDiagnostic } from "../workflow/diagnostics.js";
import { loadWorkflowFile } from "../workflow/load.js";
import type { Workflow } from "../workflow/model.js";
import { EXIT, UsageError } from "./io.js";
import type { Command } from "./main.js";
import { startTracing } from "./tracing-sdk.js";

async function workflowFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const full = resolve(cwd, p);
    const info = await stat(full).catch(() => {
      throw new UsageError(`--workflows ${p}: no such file or directory`);
    });
    if (info.isDirectory()) {
      for (const f of (await readdir(full)).sort())
        if (/\.ya?ml$/.test(f)) files.push(join(full, f));
    } else {
      files.push(full);
    }
  }
  return files;
}

export const serveCommand: Command = {
  summary: "Run the API, workers, sweeper and scheduler in this process, on a durable local store.",
  usage:
    "maestro serve [--port 8080] [--host 127.0.0.1] [--data DIR] [--store embedded|memory] [--workflows DIR|FILE]... [--secrets-dir DIR] [--auth-issuer URL --auth-audience AUD [--auth-jwks-url URL]] [--concurrency 8] [--max-backlog N] [--otel-endpoint URL]",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: "string", default: "8080" },
        host: { type: "string", default: "127.0.0.1" },
        data: { type: "string", default: ".maestro" },
        store: { type: "string", default: "embedded" },
        workflows: { type: "string", multiple: true },
        "secrets-dir": { type: "string" },
        "auth-issuer": { type: "string" },
        "auth-audience": { type: "string" },
        "auth-jwks-url": { type: "string" },
        concurrency: { type: "string", default: "8" },
        "max-backlog": { type: "string" },
        debug: { type: "boolean", default: false },
        "otel-endpoint": { type: "string" },
      },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError("--port must be 0–65535");
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UsageError("--concurrency must be ≥ 1");
    const maxBacklog =
      values["max-backlog"] === undefined ? undefined : Number(values["max-backlog"]);
    if (maxBacklog !== undefined && (!Number.isInteger(maxBacklog) || maxBacklog < 1))
      throw new UsageError("--max-backlog must be a whole number ≥ 1");
    const workflows: Workflow[] = [];
    let invalid = false;
    for (const file of await workflowFiles(values.workflows ?? [], io.cwd)) {
      const loaded = await loadWorkflowFile(file);
      if (loaded.ok) workflows.push(loaded.workflow);
      else {
        invalid = true;
        for (const d of loaded.diagnostics) io.stderr(`${formatDiagnostic(d)}\n`);
      }
    }
    if (invalid) return EXIT.failed;
    if ((values["auth-issuer"] === undefined) !== (values["auth-audience"] === undefined)) {
      throw new UsageError("--auth-issuer and --auth-audience go together");
    }
    const issuer = values["auth-issuer"];
    const auth =
      issuer === undefined
        ? undefined
        : createAuth({
            issuer,
            audience: (values["auth-audience"] ?? "").split(","),
            jwksUrl:
              values["auth-jwks-url"] ?? `${issuer.replace(/\/$/, "")}/.well-known/jwks.json`,
          });
    const logger = createJsonLogger({
      level: values.debug ? "debug" : "info",
      write: (l) => io.stderr(`${l}\n`),
    });
    const store = await openStore(values.store, resolve(io.cwd, values.data), io.env).catch(
      (error: Error) => {
        throw new UsageError(error.message);
      },
    );
    const tracing = await startTracing(values["otel-endpoint"], io.env);
    const connect = createConnectCaller();
    const server = await startServer({
      port,
      host: values.host,
      store,
      logger,
      workflows,
      concurrency,
      ...(maxBacklog !== undefined && { maxBacklog }),
      caller: dispatchByType({
        http: createHttpCaller(),
        grpc: connect,
        connect,
        "grpc-web": connect,
      }),
      secrets: createLocalSecrets({
        env: io.env,
        ...(values["secrets-dir"] !== undefined && { dir: resolve(io.cwd, values["secrets-dir"]) }),
      }),
      ...(auth && { auth }),
    });
    io.stdout(`maestro serving on ${server.url} (store: ${store.kind})\n`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    logger.info("shutting down");
    await server.close();
    await connect.close();
    await tracing?.shutdown();
    return EXIT.ok;
  },
};
