import type { CliIo } from "../../src/cli/io.js";

export interface CapturedIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
}

export function captureIo(env: Record<string, string> = {}, cwd = process.cwd()): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTty: false,
    env,
    cwd,
  };
}
