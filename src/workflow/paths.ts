import { isAbsolute, resolve } from "node:path";

/** Paths in a workflow (descriptor sets, certificates) are relative to the workflow file. */
export function resolvePath(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
