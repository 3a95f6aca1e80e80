/**
 * The JSON Schema editors use: committed as schema/workflow.schema.json, generated from the
 * zod schema, valid for ajv (draft 2020-12), and in agreement with the loader's shape check.
 */
import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { workflowJsonSchema, workflowSchema } from "../../src/workflow/schema.js";
import { mutatedWorkflow } from "./arbitraries.js";
import { EXAMPLES, readRepoFile, SEED } from "./helpers.js";

const COMMITTED = "schema/workflow.schema.json";
const generated = `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;

function compile() {
  // strict: unknown keywords, ambiguous types and the like are errors, not warnings.
  // ajv is CommonJS: under NodeNext its class is the default export's `default`.
  const ajv = new Ajv2020.default({ strict: true, allErrors: true });
  return ajv.compile(workflowJsonSchema());
}

describe("the committed JSON Schema", () => {
  it("is exactly what `maestro schema` prints", () => {
    const committed = readRepoFile(COMMITTED);
    if (committed !== generated) {
      expect.fail(
        `${COMMITTED} is out of date with src/workflow/schema.ts; regenerate it with:\n  npx maestro schema > ${COMMITTED}`,
      );
    }
  });

  it("is draft 2020-12 with an $id, and allows no unknown top-level field", () => {
    const schema = workflowJsonSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe("https://maestro.dev/schema/workflow.json");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["name", "version", "steps"]);
  });
});

describe("validating with ajv", () => {
  const validate = compile();

  it.each([...EXAMPLES, SEED])("accepts %s", (file) => {
    const ok = validate(parse(readRepoFile(file)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  const valid = {
    name: "doc",
    version: "1.0",
    services: { auth: { type: "grpc", endpoint: "auth:50051" } },
    steps: [{ id: "a", service: "auth", method: "A" }],
  };

  it.each([
    ["a numeric version", { ...valid, version: 1 }, "/version", "must be string"],
    [
      "an unknown top-level field",
      { ...valid, descripton: "x" },
      "",
      "must NOT have additional properties",
    ],
    [
      "a missing steps list",
      { name: "doc", version: "1" },
      "",
      "must have required property 'steps'",
    ],
    ["an empty steps list", { ...valid, steps: [] }, "/steps", "must NOT have fewer than 1 items"],
    [
      "a bad duration",
      { ...valid, timeout: "5 seconds" },
      "/timeout",
      'must match pattern "^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+$"',
    ],
    [
      "an unknown service type",
      { ...valid, services: { auth: { type: "gprc", endpoint: "a:1" } } },
      "/services/auth/type",
      "must be equal to one of the allowed values",
    ],
    [
      "a misspelt retry field",
      { ...valid, steps: [{ id: "a", service: "auth", method: "A", retry: { max_attemps: 3 } }] },
      "/steps/0",
      "must match a schema in anyOf",
    ],
    [
      "a bad service name",
      { ...valid, services: { "auth-service": { type: "grpc", endpoint: "a:1" } } },
      "/services",
      "property name must be valid",
    ],
    [
      "a trigger with both a schedule and a queue",
      { ...valid, triggers: [{ schedule: "rate(1 hour)", queue: "q" }] },
      "/triggers/0",
      "must match a schema in anyOf",
    ],
  ])("rejects %s", (_, document, path, message) => {
    expect(validate(document)).toBe(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.message])).toContainEqual([
      path,
      message,
    ]);
  });

  it("agrees with the zod schema the loader checks shapes with", () => {
    let rejected = 0;
    fc.assert(
      fc.property(mutatedWorkflow, (document) => {
        const byZod = workflowSchema.safeParse(document).success;
        expect(validate(document)).toBe(byZod);
        if (!byZod) rejected++;
      }),
      { numRuns: 300 },
    );
    expect(rejected).toBeGreaterThan(0);
  });
});
