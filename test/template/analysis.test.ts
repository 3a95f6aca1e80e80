import { describe, expect, it } from "vitest";
import { parseTemplate, templateCalls, templateReferences } from "../../src/template/index.js";

const refs = (source: string) => templateReferences(parseTemplate(source));
const calls = (source: string, functions?: readonly string[]) =>
  templateCalls(parseTemplate(source, functions ? { functions } : {}));

describe("templateReferences", () => {
  it("lists root field chains with their offsets, in source order", () => {
    expect(refs("user-{{ .user.id }} {{ .input.email }}")).toEqual([
      { path: ["user", "id"], offset: 8 },
      { path: ["input", "email"], offset: 23 },
    ]);
  });

  it("includes chains inside function arguments and parentheses", () => {
    expect(refs('{{ and (eq .input.plan "pro") (gt (len .input.items) 0) }}')).toEqual([
      { path: ["input", "plan"], offset: 11 },
      { path: ["input", "items"], offset: 39 },
    ]);
    expect(refs('{{ .x | default "none" }}')).toEqual([{ path: ["x"], offset: 3 }]);
  });

  it("reports a bare dot as a reference to the whole scope", () => {
    expect(refs('{{ index . "a-b" }}')).toEqual([{ path: [], offset: 9 }]);
  });

  it("does not treat chains after parentheses as root references", () => {
    expect(refs("{{ (index .users 0).name }}")).toEqual([{ path: ["users"], offset: 10 }]);
  });

  it("ignores literals, comments and text", () => {
    expect(refs('.a {{/* .b */}} {{ ".c" }}')).toEqual([]);
  });
});

describe("templateCalls", () => {
  it("lists calls with literal arguments, undefined for computed ones", () => {
    expect(calls('{{ printf "%s-%d" .a 3 }}')).toEqual([
      { name: "printf", args: ["%s-%d", undefined, 3], offset: 3 },
    ]);
    expect(calls("{{ eq true false nil -1.5 }}")).toEqual([
      { name: "eq", args: [true, false, null, -1.5], offset: 3 },
    ]);
  });

  it("lists nested calls in source order", () => {
    expect(calls('{{ and (eq .p "pro") (gt (len .items) 0) }}')).toEqual([
      { name: "and", args: [undefined, undefined], offset: 3 },
      { name: "eq", args: [undefined, "pro"], offset: 8 },
      { name: "gt", args: [undefined, 0], offset: 22 },
      { name: "len", args: [undefined], offset: 26 },
    ]);
  });

  it("appends the piped value, literal only when the previous command is a literal", () => {
    expect(calls('{{ "db" | secret }}', ["secret"])).toEqual([
      { name: "secret", args: ["db"], offset: 10 },
    ]);
    expect(calls('{{ .x | default "none" | upper }}')).toEqual([
      { name: "default", args: ["none", undefined], offset: 8 },
      { name: "upper", args: [undefined], offset: 25 },
    ]);
  });

  it("finds secret calls and their names in mixed text", () => {
    const found = calls('Bearer {{ secret "api-token" }} for {{ .user }}', ["secret"]);
    expect(found).toEqual([{ name: "secret", args: ["api-token"], offset: 10 }]);
  });
});
