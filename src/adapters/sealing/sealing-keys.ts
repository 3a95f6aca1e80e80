/**
 * The cipher behind sealed values: AES-256-GCM with a fresh 96-bit nonce per value and the
 * run's id as associated data, so an envelope copied into another run does not open. Keys
 * come from key material (any text of at least 32 characters; `maestro` generates 32
 * random bytes, base64url) through HKDF-SHA-256. Several keys may be configured, separated
 * by commas or whitespace: the first seals, every one opens — append a new key in front to
 * rotate, keep the old ones while runs sealed with them are still read.
 *
 * Envelope text: `v1.<key id>.<nonce>.<ciphertext + tag>`, base64url parts; the key id is
 * the first 8 hex digits of an HMAC of a fixed label under the key.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import type { RunSeal, SealedValue } from "../../engine/sealing.js";

const MIN_MATERIAL_LENGTH = 32;

interface Key {
  readonly id: string;
  readonly bytes: Buffer;
}

/** The keys a process seals and opens with; the first one seals. */
export interface SealingKeys {
  readonly keys: readonly Key[];
  /** Seals and opens the values of one run. */
  forRun(runId: string): RunSeal;
  /**
   * A keyed digest of `text` (HMAC-SHA-256 under the first key, 128 bits, base64url): a
   * stable name for a value that must not be stored, such as a sensitive concurrency key.
   */
  digest(text: string): string;
}

/** Fresh key material, for a new data directory or a deployment's secret. */
export function generateSealingKey(): string {
  return randomBytes(32).toString("base64url");
}

function deriveKey(material: string): Key {
  const bytes = Buffer.from(
    hkdfSync("sha256", Buffer.from(material, "utf8"), "maestro", "saga-log sealing v1", 32),
  );
  const id = createHmac("sha256", bytes).update("maestro key id").digest("hex").slice(0, 8);
  return { id, bytes };
}

/**
 * Parses key material; `source` (an environment variable, a file) names where it came
 * from in errors, which never quote the material itself.
 */
export function parseSealingKeys(text: string, source: string): SealingKeys {
  const entries = text.split(/[\s,]+/).filter((e) => e !== "");
  if (entries.length === 0) throw new Error(`${source}: no sealing key in it`);
  entries.forEach((entry, i) => {
    if (entry.length < MIN_MATERIAL_LENGTH) {
      throw new Error(
        `${source}: key ${i + 1} is ${entry.length} characters; a sealing key needs at least ${MIN_MATERIAL_LENGTH}`,
      );
    }
  });
  return sealingKeys(entries.map(deriveKey), source);
}

function sealingKeys(keys: readonly Key[], source: string): SealingKeys {
  const byId = new Map(keys.map((k) => [k.id, k]));
  const current = keys[0] as Key;
  const names = Buffer.from(hkdfSync("sha256", current.bytes, "maestro", "saga-log names v1", 32));
  return {
    keys,
    digest: (text) =>
      createHmac("sha256", names)
        .update(text, "utf8")
        .digest()
        .subarray(0, 16)
        .toString("base64url"),
    forRun(runId) {
      const aad = Buffer.from(runId, "utf8");
      return {
        seal(value: unknown): SealedValue {
          const nonce = randomBytes(12);
          const cipher = createCipheriv("aes-256-gcm", current.bytes, nonce);
          cipher.setAAD(aad);
          const body = Buffer.concat([
            cipher.update(JSON.stringify(value) ?? "null", "utf8"),
            cipher.final(),
            cipher.getAuthTag(),
          ]);
          return {
            $sealed: `v1.${current.id}.${nonce.toString("base64url")}.${body.toString("base64url")}`,
          };
        },
        open(sealed: SealedValue): unknown {
          const [version, id, nonce, body] = sealed.$sealed.split(".");
          if (version !== "v1" || id === undefined || nonce === undefined || body === undefined) {
            throw new Error(`run ${runId}: a sealed value is malformed`);
          }
          const key = byId.get(id);
          if (key === undefined) {
            throw new Error(
              `run ${runId}: a value is sealed with key ${id}, which ${source} does not hold`,
            );
          }
          const bytes = Buffer.from(body, "base64url");
          if (bytes.length < 16) throw new Error(`run ${runId}: a sealed value is malformed`);
          try {
            const decipher = createDecipheriv(
              "aes-256-gcm",
              key.bytes,
              Buffer.from(nonce, "base64url"),
            );
            decipher.setAAD(aad);
            decipher.setAuthTag(bytes.subarray(bytes.length - 16));
            const text = Buffer.concat([
              decipher.update(bytes.subarray(0, bytes.length - 16)),
              decipher.final(),
            ]).toString("utf8");
            return JSON.parse(text);
          } catch (cause) {
            throw new Error(
              `run ${runId}: a sealed value does not open with key ${id} (altered, or from another run)`,
              { cause },
            );
          }
        },
      };
    },
  };
}
