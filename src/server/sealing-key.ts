/**
 * The key `maestro serve` seals sensitive values with on its embedded store:
 * `MAESTRO_SEALING_KEY` when set (e.g. the same key as a deployment, for a data directory
 * shared between machines), otherwise `sealing.key` in the data directory, created on first
 * start (readable by its owner only). Losing the file makes the sealed values of the runs in
 * that directory unreadable: back it up with the directory, keep it out of the backup's
 * readers' hands.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  generateSealingKey,
  parseSealingKeys,
  type SealingKeys,
} from "../adapters/sealing/sealing-keys.js";

export const SEALING_KEY_FILE = "sealing.key";

export async function localSealingKeys(
  dir: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SealingKeys> {
  const fromEnv = env.MAESTRO_SEALING_KEY;
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    return parseSealingKeys(fromEnv, "MAESTRO_SEALING_KEY");
  }
  const file = join(dir, SEALING_KEY_FILE);
  try {
    // `wx`: two processes starting on one new directory must not each write their own key.
    await writeFile(file, `${generateSealingKey()}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return parseSealingKeys(await readFile(file, "utf8"), file);
}
