/** fast-check generators for the workflow-language tests: YAML-ish junk and mutated workflows. */
import fc from "fast-check";
import { parse } from "yaml";
import { EXAMPLES, readRepoFile, SEED } from "./helpers.js";

/** Characters YAML and templates give meaning to, to build plausible-looking junk. */
export const SYNTAX = [..."{}[]:-,#&*!|>'\"%@`?\\\t\n\r .", "{{", "}}", "\n  ", "\n- ", ": "];
export const yamlishText = fc
  .array(fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 4 })), { maxLength: 60 })
  .map((parts) => parts.join(""));

export const TEMPLATES = [
  "{{ .input.email }}",
  "{{ .user.id }}",
  "{{ .subscription.tier }}",
  "{{ .crm_contact.id }}",
  "{{ .nope.x }}",
  "{{ .run.id }}",
  '{{ .input.plan | default "free" }}',
  '{{ eq .input.plan "pro" }}',
  "{{ len .input.items }}",
  "{{",
  "}}",
  "{{ ( }}",
  "{{ .user.id | }}",
  "{{ unknown_fn 1 }}",
  "{{/* comment */}}",
  "POST /contacts/{{ .user.id }}",
  "DELETE /contacts/{{ .crm_contact.id }}",
  "CreateUser",
  "pkg.Auth/CreateUser",
  "GET /x",
];
const WORDS = [
  "create_user",
  "setup_subscription",
  "add_to_crm",
  "send_welcome_email",
  "welcome",
  "settle",
  "activate",
  "nope",
  "auth_service",
  "crm_service",
  "grpc",
  "http",
  "5s",
  "200ms",
  "1 hour",
  "rate(5 minutes)",
  "cron(0 12 * * ? *)",
  "*/5 * * * *",
  "input",
  "run",
  "user",
];
const KEYS = [
  "id",
  "name",
  "version",
  "services",
  "steps",
  "service",
  "method",
  "input",
  "output",
  "depends_on",
  "parallel",
  "sleep",
  "when",
  "retry",
  "max_attempts",
  "timeout",
  "compensate",
  "triggers",
  "schedule",
  "queue",
  "type",
  "endpoint",
];

const template = fc.oneof(
  fc.constantFrom(...TEMPLATES),
  fc.string({ maxLength: 12 }).map((s) => `{{ ${s} }}`),
  fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...TEMPLATES)).map(([a, b]) => a + b),
);
const scalar = fc.oneof(
  template,
  fc.constantFrom(...WORDS),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const fragment: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), scalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }) },
);

type Path = (string | number)[];

/** Paths to every node of a JSON-like tree, the root included. */
function paths(node: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      out.push(...paths(item, [...at, i]));
    });
  } else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) out.push(...paths(v, [...at, k]));
  }
  return out;
}

function parentOf(root: unknown, path: Path): Record<string | number, unknown> | undefined {
  let node = root;
  for (const segment of path.slice(0, -1))
    node = (node as Record<string | number, unknown>)[segment];
  return node !== null && typeof node === "object"
    ? (node as Record<string | number, unknown>)
    : undefined;
}

type Mutation =
  | { kind: "delete"; pick: number }
  | { kind: "replace"; pick: number; value: unknown }
  | { kind: "add"; pick: number; key: string; value: unknown }
  | { kind: "rename"; pick: number; suffix: string }
  | { kind: "wrap"; pick: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("replace" as const), pick: fc.nat(), value: fragment }),
  fc.record({
    kind: fc.constant("add" as const),
    pick: fc.nat(),
    key: fc.constantFrom(...KEYS),
    value: fragment,
  }),
  fc.record({
    kind: fc.constant("rename" as const),
    pick: fc.nat(),
    suffix: fc.constantFrom("s", "_", "x", ""),
  }),
  fc.record({ kind: fc.constant("wrap" as const), pick: fc.nat() }),
);

/** Applies a mutation to a random node of the tree (in place); returns the new root. */
function mutate(root: unknown, m: Mutation): unknown {
  const all = paths(root);
  const path = all[m.pick % all.length] ?? [];
  const key = path[path.length - 1];
  const parent = parentOf(root, path);
  const node = parent && key !== undefined ? parent[key] : root;
  switch (m.kind) {
    case "delete":
      if (!parent || key === undefined) return {};
      if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
      else delete parent[key];
      return root;
    case "replace":
      if (!parent || key === undefined) return m.value;
      parent[key] = m.value;
      return root;
    case "add":
      if (node !== null && typeof node === "object" && !Array.isArray(node))
        (node as Record<string, unknown>)[m.key] = m.value;
      else if (Array.isArray(node)) node.push({ [m.key]: m.value });
      return root;
    case "rename":
      if (parent && typeof key === "string" && !Array.isArray(parent)) {
        const value = parent[key];
        delete parent[key];
        parent[`${key.slice(0, -1)}${m.suffix}`] = value;
      }
      return root;
    case "wrap":
      // A step (or anything) becomes a one-member parallel group.
      if (!parent || key === undefined) return root;
      parent[key] = { parallel: [node] };
      return root;
  }
}

/** The examples and the seed, parsed: valid starting points for mutations. */
export const SKELETONS = [SEED, ...EXAMPLES].map((file) => parse(readRepoFile(file)) as unknown);

/** A valid workflow (as a JS tree) after one to four random mutations. */
export const mutatedWorkflow = fc
  .tuple(fc.nat({ max: SKELETONS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([which, mutations]) => {
    let root: unknown = structuredClone(SKELETONS[which]);
    for (const m of mutations) root = mutate(root, m);
    return root;
  });

/** Step and group ids of the skeletons, and a few names that are not. */
const STEP_NAMES = [...WORDS.slice(0, 8), "create_usr", "reserve_stock", "charge_card", "greet"];

/** Random depends_on on random steps of the seed: cycles, unknowns, groups, forward edges. */
export const randomDependencies = fc
  .tuple(
    fc.nat({ max: SKELETONS.length - 1 }),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.oneof(
          fc.constantFrom(...STEP_NAMES),
          fc.array(fc.constantFrom(...STEP_NAMES), { maxLength: 3 }),
        ),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([which, edges]) => {
    const root = structuredClone(SKELETONS[which]) as { steps: Record<string, unknown>[] };
    for (const [pick, deps] of edges) {
      const step = root.steps[pick % root.steps.length];
      if (step) step.depends_on = deps;
    }
    return root;
  });
