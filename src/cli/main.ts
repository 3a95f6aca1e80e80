import { type CliIo, EXIT, processIo, UsageError } from "./io.js";

export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Commands load on use, so `validate` does not pay for the runtime's dependencies. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import("./workflow-commands.js")).validateCommand,
  graph: async () => (await import("./workflow-commands.js")).graphCommand,
  schema: async () => (await import("./workflow-commands.js")).schemaCommand,
  execute: async () => (await import("./execute.js")).executeCommand,
  serve: async () => (await import("./serve.js")).serveCommand,
  status: async () => (await import("./run-commands.js")).statusCommand,
  runs: async () => (await import("./run-commands.js")).runsCommand,
};

async function help(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines: string[] = [];
  for (const [name, load] of Object.entries(COMMANDS))
    lines.push(`  ${name.padEnd(width)}  ${(await load()).summary}`);
  return `maestro — a saga orchestrator for YAML workflows\n\nUsage: maestro <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun "maestro <command> --help" for a command's options.\nExit codes: 0 success, 1 the workflow or run failed or is invalid, 2 usage error.\n`;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(await help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`maestro: unknown command "${name}"\n\n${await help()}`);
    return EXIT.usage;
  }
  const command = await load();
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.stderr(`maestro ${name}: ${(error as Error).message}\nUsage: ${command.usage}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}
