/**
 * Invalid workflows: every error is reported at once, sorted by position, as
 * `file:line:column: message` with the position on the fault itself — the key of an
 * unknown field, the value of a bad setting, the character of a template reference.
 */
import { describe, expect, it } from "vitest";
import { errorsOf, HEADER, lines, loadRepoFile, yaml } from "./helpers.js";

const FIXTURES: Record<string, string[]> = {
  "not_a_mapping.yaml": [
    "2:1: a workflow must be a mapping with name, version, services and steps; got a list",
  ],
  "missing_fields.yaml": [
    // A missing field is reported at the start of the mapping that lacks it.
    "2:1: name: missing required field",
    "2:1: version: missing required field",
    "2:1: steps: missing required field",
  ],
  "version_number.yaml": [
    // `version: 1.0` is the number 1; the other errors of the file are still reported.
    '2:10: version: expected string, got number 1.0 (quote it: "1.0")',
    '16:20: step "activate" reads .usr.id, but nothing is named "usr": use .input, .run or a step\'s output (did you mean "user"?)',
  ],
  "unknown_fields.yaml": [
    '3:1: descripton: unknown field (did you mean "description"?)',
    '8:5: services.auth.timout: unknown field (did you mean "timeout"?)',
    '13:5: steps[0].inputs: unknown field (did you mean "input"?)',
    '17:7: steps[0].retry.max_attemps: unknown field (did you mean "max_attempts"?)',
    "19:7: steps[0].compensate.method: missing required field",
    '19:7: steps[0].compensate.methd: unknown field (did you mean "method"?)',
  ],
  "bad_values.yaml": [
    "3:10: timeout: must be a duration such as 200ms, 5s, 10m, 1h",
    '6:11: services.auth.type: must be one of grpc, http, connect, grpc-web (did you mean "http"?)',
    "9:15: services.auth.retry.jitter: must be one of full, none",
    // A number where a duration belongs: no "quote it", since "100" has no unit either.
    "10:25: services.auth.retry.initial_interval: expected string, got number 100",
    "11:21: services.auth.retry.max_attempts: Too small: expected number to be >=1",
    "16:14: steps[0].timeout: must be a duration such as 200ms, 5s, 10m, 1h",
    // A bad sleep is reported as such, not as a step missing its service and method.
    "18:12: steps[1].sleep: must be a duration such as 200ms, 5s, 10m, 1h",
  ],
  "duplicates.yaml": [
    // The second create_user is left out of the graph: no self-cycle, the other checks run.
    '12:5: duplicate id "create_user" (first used on line 8)',
    '18:13: output: "user" is already the output of step "create_user"',
    '22:13: output: "input" is reserved; choose another name',
    '26:13: output: "run" is reserved; choose another name',
  ],
  "references.yaml": [
    '12:14: service "auth_servce" is not defined in services (did you mean "auth_service"?)',
    '18:17: depends_on: unknown step "create_usr" (did you mean "create_user"?)',
    // With its only dependency unknown, subscribe has no upstream at all.
    '20:20: step "subscribe" reads .user.id, but step "create_user" (which produces "user") is not guaranteed to finish before it; add "create_user" to depends_on',
    '21:17: step "subscribe" reads .plam.name, but nothing is named "plam": use .input, .run or a step\'s output',
    '22:20: step "subscribe" reads .invoice.id, but step "bill" (which produces "invoice") is not guaranteed to finish before it; add "bill" to depends_on',
    '28:25: compensation of step "subscribe" reads .invoice.id, but step "bill" (which produces "invoice") is not guaranteed to finish before it; add "bill" to depends_on',
    '32:31: depends_on: unknown step "subscibe" (did you mean "subscribe"?)',
  ],
  "cycle.yaml": ["11:17: dependency cycle: a → c → b → a"],
  "templates.yaml": [
    // Plain scalar: the ")" after .input.name.
    '12:34: template: unexpected ")"',
    // Double-quoted, after the escapes \" \" and \t: the "}}" that follows "|".
    '16:56: template: missing command after "|"',
    // Single-quoted, after the escape '': the ")".
    '21:47: template: unexpected ")"',
    // Literal block scalar, second line: the "{{" that is never closed.
    "28:17: template: unclosed action",
  ],
  "sleep_and_methods.yaml": [
    "13:5: service: a sleep step calls nothing; remove service or sleep",
    "14:5: method: a sleep step calls nothing; remove method or sleep",
    '17:13: method: an http service\'s method is "VERB /path", e.g. "POST /contacts"; got "/contacts"',
    '20:13: method: an http service\'s method is "VERB /path", e.g. "POST /contacts"; got "FETCH /contacts"',
    '23:13: method: a grpc method is Method, Service.Method or package.Service/Method; got "POST /users"',
    '24:5: step "no_method": missing method',
  ],
  "triggers.yaml": [
    "12:15: schedule: invalid cron expression: minute: 61 is outside 0–59",
    '13:15: schedule: write "rate(1 minute)" for one and "rate(N minutes)" for more',
    '14:15: schedule: write "rate(1 hour)" for one and "rate(N hours)" for more',
    "15:15: schedule: only * is supported in the year field",
    "16:15: schedule: expected rate(…), cron(…) or a 5-field cron expression (minute hour day-of-month month day-of-week), got 2 fields",
    "17:12: triggers[5].queue: must be a queue name",
    "18:15: schedule: rate must be at least 1",
    "19:15: schedule: this cron expression never fires",
    '20:15: schedule: invalid cron expression: day-of-week: "#6" must be #1–#5 or #L',
  ],
  "parallel.yaml": [
    // Members of one group run concurrently: a sibling's output is not guaranteed.
    '22:22: step "right" reads .left_result.id, but step "left" (which produces "left_result") is not guaranteed to finish before it; add "left" to depends_on',
    '23:18: depends_on: unknown step "strat" (did you mean "start"?)',
    '27:17: depends_on: unknown step "fann" (did you mean "fan"?)',
  ],
  "sensitive.yaml": [
    // At the list item; a typo of a step's output or of input gets a suggestion.
    '16:5: sensitive: "chrage.card_token" starts with "chrage", which is neither input nor a step\'s output (did you mean "charge"?)',
    '17:5: sensitive: "imput.card" starts with "imput", which is neither input nor a step\'s output (did you mean "input"?)',
    '18:5: sensitive: "input..number" has an empty segment; write dot-separated keys, * for any key or index',
    '19:5: sensitive: "input.card[0]" has "card[0]"; write dot-separated keys, * for any key or index',
    '20:5: sensitive: "" has an empty segment; write dot-separated keys, * for any key or index',
  ],
  "broken_onboarding.yaml": [
    "8:14: services.auth_service.timeout: must be a duration such as 200ms, 5s, 10m, 1h",
    '10:11: services.crm_service.type: must be one of grpc, http, connect, grpc-web (did you mean "http"?)',
    '15:14: service "auth_servce" is not defined in services (did you mean "auth_service"?)',
    // The name inside a one-item list, not the list's "[".
    '24:18: depends_on: unknown step "create_usr" (did you mean "create_user"?)',
    '26:20: step "add_to_crm" reads .usr.id, but nothing is named "usr": use .input, .run or a step\'s output (did you mean "user"?)',
    '27:17: step "add_to_crm" reads .subscription.tier, but step "subscribe" (which produces "subscription") is not guaranteed to finish before it; add "subscribe" to depends_on',
    '29:7: steps[1].retry.max_attemps: unknown field (did you mean "max_attempts"?)',
    '35:31: template: unknown function "deflt" (did you mean "default"?)',
  ],
};

describe("invalid fixtures report every error with its exact place", () => {
  it.each(Object.entries(FIXTURES))("%s", (name, expected) => {
    const file = `test/fixtures/invalid/${name}`;
    const result = loadRepoFile(file);
    expect(result.ok).toBe(false);
    expect(lines(result)).toEqual(expected.map((line) => `${file}:${line}`));
  });

  it("sorts each file's diagnostics by line, then column", () => {
    for (const name of Object.keys(FIXTURES)) {
      const { diagnostics } = loadRepoFile(`test/fixtures/invalid/${name}`);
      const positions = diagnostics.map((d) => d.line * 10_000 + d.column);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });
});

describe("YAML syntax", () => {
  it("reports every syntax error, at the offending token", () => {
    const text = yaml(
      "name: yaml_syntax",
      'version: "1.0"',
      "services:",
      "  auth:",
      "    type: grpc",
      '    endpoint: "auth:50051" 50052',
      "steps:",
      "  - id: a",
      "    service: auth",
      "    method: CreateUser",
      "    method: CreateAccount",
    );
    expect(errorsOf(text)).toEqual([
      "inline.yaml:6:28: YAML: Unexpected scalar at node end",
      "inline.yaml:11:5: YAML: Map keys must be unique",
    ]);
  });

  it("places an unclosed quote at the quote that opens it, not at the end of the file", () => {
    const text = yaml('name: "unclosed', 'version: "1.0"', "steps: []");
    expect(errorsOf(text)).toEqual(['inline.yaml:1:7: YAML: Missing closing "quote']);
    expect(errorsOf(yaml("name: x", "version: '1.0", "steps: []"))).toEqual([
      "inline.yaml:2:10: YAML: Missing closing 'quote",
    ]);
  });

  it("rejects tabs used as indentation", () => {
    expect(errorsOf(yaml("name: x", "steps:", "  - id: a", "\tservice: b"))).toEqual([
      "inline.yaml:4:1: YAML: Tabs are not allowed as indentation",
    ]);
  });

  it("reports a repeated error once", () => {
    // The parser raises this one twice for the same place.
    expect(errorsOf(yaml("name: x", "steps: {{ .x"))).toEqual([
      "inline.yaml:3:1: YAML: Flow map in block collection must be sufficiently indented and end with a }",
    ]);
  });
});

describe("the top level", () => {
  it.each([
    ["an empty file", "", "null"],
    ["a comment only", "# nothing here\n", "null"],
    ["a scalar", "just some text\n", 'the string "just some text"'],
    ["a number", "42\n", "number 42"],
  ])("refuses %s", (_, text, got) => {
    expect(errorsOf(text)).toEqual([
      `inline.yaml:1:1: a workflow must be a mapping with name, version, services and steps; got ${got}`,
    ]);
  });

  it("says how to keep a numeric version a string", () => {
    expect(
      errorsOf(HEADER.replace('version: "1.0"', "version: 2") + yaml("  - id: a", "    sleep: 1s")),
    ).toEqual(['inline.yaml:2:10: version: expected string, got number 2 (quote it: "2")']);
  });

  it("refuses steps that are not a non-empty list, and services that are not a mapping", () => {
    expect(errorsOf(yaml("name: x", 'version: "1"', "services: [auth]", "steps: []"))).toEqual([
      "inline.yaml:3:11: services: expected a mapping of name → service, got a list",
      "inline.yaml:4:8: steps: expected a non-empty list of steps, got a list",
    ]);
    expect(errorsOf(yaml("name: x", 'version: "1"', "steps: first"))).toEqual([
      'inline.yaml:3:8: steps: expected a non-empty list of steps, got the string "first"',
    ]);
  });

  it("checks the name's form and a service's name", () => {
    const text = yaml(
      "name: 1st-workflow",
      'version: "1"',
      "services:",
      "  auth-service:",
      "    type: grpc",
      '    endpoint: "auth:1"',
      "steps:",
      "  - id: a",
      "    sleep: 1s",
    );
    expect(errorsOf(text)).toEqual([
      "inline.yaml:1:7: name: must start with a letter and contain only letters, digits, _ and -",
      "inline.yaml:4:3: services.auth-service: a service name must start with a letter or _ and contain only letters, digits and _",
    ]);
  });
});

describe("regressions: shapes that used to throw instead of being reported", () => {
  it.each([
    [
      "a schedule that is not a string",
      "triggers: [{ schedule: 5 }]",
      'inline.yaml:13:24: triggers[0].schedule: expected string, got number 5 (quote it: "5")',
    ],
    [
      "a null trigger",
      "triggers: [null]",
      "inline.yaml:13:12: triggers[0]: expected object, got null",
    ],
    [
      "triggers that are not a list",
      "triggers: hourly",
      'inline.yaml:13:11: triggers: expected a list, got the string "hourly"',
    ],
    [
      "a trigger without a schedule",
      "triggers: [{}]",
      "inline.yaml:13:12: triggers[0].schedule: missing required field",
    ],
  ])("%s", (_, triggers, expected) => {
    expect(errorsOf(HEADER + yaml("  - id: a", "    sleep: 1s", triggers))).toEqual([expected]);
  });

  it("a bad top-level field next to steps that compile", () => {
    // The run timeout is not used once the version is wrong: both are reported, nothing throws.
    const text =
      HEADER.replace('version: "1.0"', 'version: 1.0\ntimeout: ["5s"]') +
      yaml("  - id: a", "    sleep: 1s");
    expect(errorsOf(text)).toEqual([
      'inline.yaml:2:10: version: expected string, got number 1.0 (quote it: "1.0")',
      "inline.yaml:3:10: timeout: expected string, got a list",
    ]);
  });
});

describe("unknown fields, with did-you-mean, at every level", () => {
  it("in a parallel group and a trigger", () => {
    const text =
      HEADER +
      yaml(
        "  - id: fan",
        "    paralel_when: x",
        "    parallel:",
        "      - id: a",
        "        sleep: 1s",
        "        dependson: [b]",
        "triggers:",
        "  - schedule: rate(5 minutes)",
        "    inputs: {}",
      );
    expect(errorsOf(text)).toEqual([
      "inline.yaml:12:5: steps[0].paralel_when: unknown field",
      'inline.yaml:16:9: steps[0].parallel[0].dependson: unknown field (did you mean "depends_on"?)',
      'inline.yaml:19:5: triggers[0].inputs: unknown field (did you mean "input"?)',
    ]);
  });

  it("in a service's circuit breaker, rate limit and tls settings", () => {
    const text = yaml(
      "name: x",
      'version: "1"',
      "services:",
      "  auth:",
      "    type: grpc",
      '    endpoint: "auth:1"',
      "    circuit_breaker: { failure_treshold: 3 }",
      "    rate_limit: { rate: 10/s, brust: 2 }",
      "    tls: { server: auth.internal }",
      "steps:",
      "  - id: a",
      "    service: auth",
      "    method: A",
    );
    expect(errorsOf(text)).toEqual([
      'inline.yaml:7:24: services.auth.circuit_breaker.failure_treshold: unknown field (did you mean "failure_threshold"?)',
      'inline.yaml:8:31: services.auth.rate_limit.brust: unknown field (did you mean "burst"?)',
      "inline.yaml:9:12: services.auth.tls.server: unknown field",
    ]);
  });
});

describe("parallel groups and depends_on", () => {
  it("refuses a group id that is already a step id", () => {
    const text =
      HEADER +
      yaml(
        "  - id: a",
        "    sleep: 1s",
        "  - id: a",
        "    parallel:",
        "      - id: b",
        "        sleep: 1s",
      );
    expect(errorsOf(text)).toEqual(['inline.yaml:13:5: duplicate id "a" (first used on line 11)']);
  });

  it("names a cycle that runs through a group", () => {
    const text =
      HEADER +
      yaml(
        "  - id: a",
        "    sleep: 1s",
        "    depends_on: fan",
        "  - id: fan",
        "    parallel:",
        "      - id: b",
        "        sleep: 1s",
      );
    expect(errorsOf(text)).toEqual(["inline.yaml:13:17: dependency cycle: a → b → a"]);
  });

  it("points at the unknown name in a depends_on list", () => {
    const text =
      HEADER +
      yaml(
        "  - id: first",
        "    sleep: 1s",
        "  - id: second",
        "    sleep: 1s",
        "    depends_on:",
        "      - first",
        "      - frist_step",
        "      - secnd",
      );
    expect(errorsOf(text)).toEqual([
      'inline.yaml:17:9: depends_on: unknown step "frist_step"',
      'inline.yaml:18:9: depends_on: unknown step "secnd" (did you mean "second"?)',
    ]);
  });
});

describe("template references", () => {
  it("lets a compensation read its own step's output, but not a later step's", () => {
    const text =
      HEADER +
      yaml(
        "  - id: create",
        "    service: auth",
        "    method: Create",
        "    output: user",
        "    compensate:",
        "      method: Delete",
        '      input: { id: "{{ .user.id }}", audit: "{{ .audit.id }}" }',
        "  - id: log",
        "    service: auth",
        "    method: Log",
        "    output: audit",
      );
    expect(errorsOf(text)).toEqual([
      'inline.yaml:17:49: compensation of step "create" reads .audit.id, but step "log" (which produces "audit") is not guaranteed to finish before it; add "log" to depends_on',
    ]);
  });

  it("checks when conditions, headers and query parameters too", () => {
    const text =
      HEADER +
      yaml(
        "  - id: fetch",
        "    service: crm",
        "    method: GET /contacts",
        "    when: '{{ .later.ok }}'",
        "    headers: { X-Trace: '{{ .run.id }}-{{ .trace }}' }",
        "    query: { email: '{{ .input.email }}', page: '{{ .pager.next }}' }",
        "  - id: later_step",
        "    service: crm",
        "    method: GET /later",
        "    output: later",
      );
    expect(errorsOf(text)).toEqual([
      'inline.yaml:14:15: step "fetch" reads .later.ok, but step "later_step" (which produces "later") is not guaranteed to finish before it; add "later_step" to depends_on',
      'inline.yaml:15:43: step "fetch" reads .trace, but nothing is named "trace": use .input, .run or a step\'s output',
      'inline.yaml:16:53: step "fetch" reads .pager.next, but nothing is named "pager": use .input, .run or a step\'s output (did you mean "later"?)',
    ]);
  });

  it("checks the workflow output against every output name", () => {
    const text =
      HEADER +
      yaml(
        "  - id: a",
        "    service: auth",
        "    method: A",
        "    output: user",
        "output:",
        '  id: "{{ .user.id }}"',
        '  name: "{{ .usr.name }}"',
      );
    expect(errorsOf(text)).toEqual([
      'inline.yaml:17:13: workflow output reads .usr.name, but nothing is named "usr": use .input, .run or a step\'s output (did you mean "user"?)',
    ]);
  });
});

describe("positions inside template strings", () => {
  /** One step whose input `x` is written as given; the error is `.nope`, unknown. */
  const withInput = (...written: string[]) =>
    errorsOf(
      HEADER + yaml("  - id: a", "    service: auth", "    method: A", "    input:", ...written),
    );
  const unknown =
    'step "a" reads .nope, but nothing is named "nope": use .input, .run or a step\'s output';

  it.each([
    ["plain", "      x: see {{ .nope }}", 15, 17],
    ["double-quoted", '      x: "see {{ .nope }}"', 15, 18],
    ["double-quoted with escapes", '      x: "\\"caf\\u00e9\\"\\t{{ .nope }}"', 15, 29],
    ["single-quoted with ''", "      x: 'it''s {{ .nope }}'", 15, 20],
    ["8-digit escape (a surrogate pair)", '      x: "\\U0001F600 {{ .nope }}"', 15, 25],
  ])("%s", (_, written, line, column) => {
    expect(withInput(written)).toEqual([`inline.yaml:${line}:${column}: ${unknown}`]);
  });

  it.each([
    ["a folded plain scalar", ["      x: first line", "        then {{ .nope }}"], 16, 17],
    [
      "a folded double-quoted scalar",
      ['      x: "first line', '        then {{ .nope }}"'],
      16,
      17,
    ],
    ["an escaped line break", ['      x: "first \\', '        then {{ .nope }}"'], 16, 17],
    [
      "blank lines in a single-quoted scalar",
      ["      x: 'first", "", "        {{ .nope }}'"],
      17,
      12,
    ],
    ["a literal block", ["      x: |", "        first", "          {{ .nope }}"], 17, 14],
    ["a folded block", ["      x: >-", "        first", "        second {{ .nope }}"], 17, 19],
  ])("across lines: %s", (_, written, line, column) => {
    expect(withInput(...written)).toEqual([`inline.yaml:${line}:${column}: ${unknown}`]);
  });
});
