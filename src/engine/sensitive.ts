/**
 * Masks the values a workflow marks `sensitive` wherever a run is read: at their paths in
 * the run's input and step outputs, and — for strings of at least {@link MIN_ECHO_LENGTH}
 * characters — wherever the same text appears verbatim elsewhere (a service echoing the
 * card number in its output, an error message quoting it, the run's output). Shorter
 * values are masked only at their paths: replacing every "1" or "ok" in a document would
 * destroy it while hiding nothing worth hiding.
 *
 * Pure: it knows the run's documents and the compiled paths, nothing of where they are read.
 */
import type { SensitivePath } from "../workflow/model.js";
import type { SagaEvent } from "./events.js";

/** What masked values are replaced with (the same marker as redacted secrets). */
export const REDACTED = "[redacted]";

/** Strings shorter than this are masked at their paths only, not where else they occur. */
export const MIN_ECHO_LENGTH = 4;

/** Masks one run's sensitive values; it learns them as the run's documents are shown to it. */
export interface SensitiveRedactor {
  /** Records the sensitive strings in a document rooted at `root` (`input` or an output name). */
  learn(root: string, document: unknown): void;
  /** `document` (rooted at `root`) with the values at sensitive paths replaced. */
  mask(root: string, document: unknown): unknown;
  /** Any value with every learnt sensitive string replaced where it occurs. */
  scrub<T>(value: T): T;
  /** The learnt strings, longest first (for telemetry that redacts by value). */
  values(): readonly string[];
}

/** The paths rooted at `root` (`input` or an output name), relative to it. */
export function pathsUnder(paths: readonly SensitivePath[], root: string): SensitivePath[] {
  return paths.filter((p) => p[0] === root).map((p) => p.slice(1));
}

function children(value: unknown): [string, unknown][] {
  if (Array.isArray(value)) return value.map((v, i) => [String(i), v]);
  if (value !== null && typeof value === "object") return Object.entries(value);
  return [];
}

/** Calls `visit` with each value a relative path selects in `value`. */
function select(value: unknown, path: SensitivePath, visit: (v: unknown) => void): void {
  const [head, ...rest] = path;
  if (head === undefined) {
    visit(value);
    return;
  }
  for (const [key, child] of children(value)) {
    if (head === "*" || head === key) select(child, rest, visit);
  }
}

/** `value` with each value a relative path selects replaced by `replace(it)`; a copy. */
export function mapAt(
  value: unknown,
  path: SensitivePath,
  replace: (selected: unknown) => unknown,
  /** Values not to look inside (already replaced ones). */
  opaque: (value: unknown) => boolean = () => false,
): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replace(value);
  if (opaque(value)) return value;
  const next = (key: string, v: unknown) =>
    head === "*" || head === key ? mapAt(v, rest, replace, opaque) : v;
  if (Array.isArray(value)) return value.map((v, i) => next(String(i), v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, next(k, v)]));
  }
  return value;
}

function strings(value: unknown, into: Set<string>): void {
  if (typeof value === "string") {
    if (value.length >= MIN_ECHO_LENGTH) into.add(value);
    return;
  }
  for (const [, child] of children(value)) strings(child, into);
}

/** A redactor for one run of a workflow with these compiled `sensitive` paths. */
export function createSensitiveRedactor(paths: readonly SensitivePath[]): SensitiveRedactor {
  const known = new Set<string>();
  // Longest first, so that a value containing another is replaced whole.
  let ordered: string[] = [];
  const scrubValue = (value: unknown): unknown => {
    if (typeof value === "string") {
      let text = value;
      for (const s of ordered) if (text.includes(s)) text = text.split(s).join(REDACTED);
      return text;
    }
    if (Array.isArray(value)) return value.map(scrubValue);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v)]));
    }
    return value;
  };
  return {
    learn(root, document) {
      for (const path of pathsUnder(paths, root)) select(document, path, (v) => strings(v, known));
      ordered = [...known].sort((a, b) => b.length - a.length);
    },
    mask(root, document) {
      return pathsUnder(paths, root).reduce((d, p) => mapAt(d, p, () => REDACTED), document);
    },
    scrub: <T>(value: T) => (ordered.length === 0 ? value : (scrubValue(value) as T)),
    values: () => ordered,
  };
}

/**
 * Where an event carries a document with sensitive paths: the run's input, a step's output
 * (under its output name), a signal's payload (the output of the step waiting for it).
 */
export interface EventRoots {
  /** Step id → its output name. */
  readonly outputOf: (stepId: string) => string | undefined;
  /** Signal name → the output name of the step that waits for it. */
  readonly signalOutput: (name: string) => string | undefined;
}

/**
 * One event as a reader may see it: first learns its sensitive values (so later events,
 * and this one's other fields, are scrubbed of them), then masks its paths and scrubs it.
 */
export function redactEvent<E extends SagaEvent>(
  redactor: SensitiveRedactor,
  roots: EventRoots,
  event: E,
): E {
  const at = (root: string | undefined, field: "input" | "output" | "payload"): E => {
    if (root === undefined) return redactor.scrub(event);
    const document = (event as unknown as Record<string, unknown>)[field];
    redactor.learn(root, document);
    return redactor.scrub({ ...event, [field]: redactor.mask(root, document) });
  };
  switch (event.type) {
    case "run_started":
      return at("input", "input");
    case "step_succeeded":
      return at(roots.outputOf(event.stepId), "output");
    case "signal_received":
      return at(roots.signalOutput(event.name), "payload");
    default:
      return redactor.scrub(event);
  }
}
