/**
 * DynamoDB's item size, computed before a write so that an oversize append fails with a
 * clear PayloadTooLargeError (run, seq, size) instead of a ValidationException after a round trip.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { PayloadTooLargeError } from "../../errors.js";

/**
 * DynamoDB rejects items over 400 KB. The margin keeps estimation error (numbers are sized
 * by an upper bound) and attributes added later on the safe side.
 */
export const MAX_ITEM_BYTES = 390 * 1024;

/** The size DynamoDB counts for an item: attribute names plus values, per its documented rules. */
export function itemSize(item: Readonly<Record<string, AttributeValue>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  // One byte per two significant digits plus one; the digit count is bounded by the text.
  if (value.N !== undefined) return Math.ceil(value.N.length / 2) + 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined) {
    let size = 3;
    for (const [name, v] of Object.entries(value.M)) size += 1 + utf8(name) + valueSize(v);
    return size;
  }
  // Sets are not used by the saga log; count them generously rather than not at all.
  return utf8(JSON.stringify(value));
}

function utf8(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Throws PayloadTooLargeError when the item would not fit in DynamoDB. */
export function assertItemFits(
  item: Readonly<Record<string, AttributeValue>>,
  runId: string,
  seq: number,
  what: string,
): void {
  const size = itemSize(item);
  if (size <= MAX_ITEM_BYTES) return;
  throw new PayloadTooLargeError(
    `run ${runId}: ${what} from seq ${seq} is ${size} bytes, over the ${MAX_ITEM_BYTES}-byte ` +
      "limit of a DynamoDB item; keep large payloads out of step inputs and outputs",
    { runId, seq, size, limit: MAX_ITEM_BYTES },
  );
}
