/**
 * Step JSON ↔ protobuf messages, through the protobuf JSON mapping (bytes as base64, enums by
 * name, Timestamp as RFC 3339, Duration as "1.5s", Struct as plain JSON, int64 as strings).
 */
import {
  type DescMessage,
  fromJson,
  type JsonValue,
  type Message,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import { unknownFields } from "./method-resolution.js";

/** The step's JSON input as a request message, or why it does not fit. */
export function toRequestMessage(
  desc: DescMessage,
  input: unknown,
  registry: Registry,
): Message | { problem: string } {
  const json = input ?? {};
  if (typeof json === "object" && !Array.isArray(json)) {
    // Said here with a suggestion, rather than as protobuf-es's bare "key is unknown".
    const unknown = unknownFields(desc, Object.keys(json));
    if (unknown.length > 0) return { problem: unknown.map((u) => u.message).join("; ") };
  }
  try {
    return fromJson(desc, json as JsonValue, { registry });
  } catch (error) {
    return { problem: `input does not fit ${desc.typeName}: ${(error as Error).message}` };
  }
}

/**
 * A reply as the step's output. Proto field names (`plan_name`), as workflow templates write
 * them (`{{ .subscription.plan_name }}`), and fields at their default values included, so an
 * output's shape does not depend on its values (`{ "deleted": false }`, not `{}`).
 */
export function toOutputJson(desc: DescMessage, message: Message, registry: Registry): JsonValue {
  return toJson(desc, message, { registry, useProtoFieldName: true, alwaysEmitImplicit: true });
}
