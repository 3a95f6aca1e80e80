import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadDescriptorSet,
  resolveMethod,
  validateInput,
} from "../../src/callers/connect-caller.js";
import { registryFromFiles } from "../../src/callers/grpc/descriptors.js";
import { parseEndpoint } from "../../src/callers/grpc/endpoint.js";
import { errorCodeOf } from "../../src/callers/grpc/error-mapping.js";
import { fullMethodName } from "../../src/callers/grpc/method-resolution.js";
import { ERROR_CODES } from "../../src/errors.js";
import { file_examples_auth_v1_auth } from "../../src/gen/examples/auth/v1/auth_pb.js";
import { file_examples_billing_v1_billing } from "../../src/gen/examples/billing/v1/billing_pb.js";
import { file_examples_email_v1_email } from "../../src/gen/examples/email/v1/email_pb.js";
import { file_grpc_health_v1_health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { ambiguousDescriptorSet, tempDir } from "../grpc/helpers.js";

const dir = tempDir();
afterAll(() => dir.remove());

// Only the services' own files: the well-known types they import are filled in.
const registry = registryFromFiles(
  [
    file_examples_auth_v1_auth,
    file_examples_billing_v1_billing,
    file_examples_email_v1_email,
    file_grpc_health_v1_health,
  ].map((f) => f.proto),
);

function resolved(method: string): string {
  const result = resolveMethod(registry, method);
  return result.ok ? fullMethodName(result.method) : `${result.code}: ${result.message}`;
}

describe("resolveMethod", () => {
  it.each([
    ["CreateSubscription", "examples.billing.v1.BillingService/CreateSubscription"],
    ["BillingService.CreateSubscription", "examples.billing.v1.BillingService/CreateSubscription"],
    ["BillingService/CreateSubscription", "examples.billing.v1.BillingService/CreateSubscription"],
    [
      "v1.BillingService/CreateSubscription",
      "examples.billing.v1.BillingService/CreateSubscription",
    ],
    ["examples.email.v1.EmailService/SendTemplate", "examples.email.v1.EmailService/SendTemplate"],
    ["/examples.email.v1.EmailService/SendTemplate", "examples.email.v1.EmailService/SendTemplate"],
    [" SendTemplate ", "examples.email.v1.EmailService/SendTemplate"],
    ["Health/Check", "grpc.health.v1.Health/Check"],
  ])("%s → %s", (method, full) => {
    expect(resolved(method)).toBe(full);
  });

  it("keeps bare names away from the infrastructure services", () => {
    expect(resolved("Check")).toMatch(/^unimplemented: no method "Check" in any service/);
  });

  it.each(["Create User", "", "Auth Service/CreateUser", "a..b/C", "/", "CreateUser/"])(
    "refuses the malformed %j",
    (method) => {
      expect(resolved(method)).toMatch(
        /^invalid_argument: method .* is not Method, Service\.Method/,
      );
    },
  );

  it("names every candidate of an ambiguous name", async () => {
    const ambiguous = await loadDescriptorSet(ambiguousDescriptorSet(dir.path));
    expect(resolveMethod(ambiguous, "DeleteUser")).toMatchObject({
      ok: false,
      code: "invalid_argument",
      candidates: [
        "examples.auth.v1.AuthService/DeleteUser",
        "examples.auth.v2.AuthService/DeleteUser",
      ],
    });
    expect(resolveMethod(ambiguous, "AuthService/DeleteUser")).toMatchObject({ ok: false });
    expect(resolveMethod(ambiguous, "v2.AuthService/DeleteUser")).toMatchObject({ ok: true });
  });

  it("suggests the nearest method and service", () => {
    expect(resolved("SendTemplat")).toContain('did you mean "SendTemplate"?');
    expect(resolved("sendTemplate")).toContain('did you mean "SendTemplate"?');
    expect(resolved("EmailServic/SendTemplate")).toContain('did you mean "EmailService"?');
    expect(resolved("EmailService/CreateUser")).toMatch(
      /^unimplemented: no method "CreateUser" in examples\.email\.v1\.EmailService/,
    );
  });

  it("says so when there are no services at all", () => {
    const empty = registryFromFiles([]);
    expect(resolveMethod(empty, "CreateUser")).toMatchObject({ ok: false, code: "unimplemented" });
  });
});

describe("validateInput", () => {
  it("accepts proto and JSON field names", () => {
    expect(validateInput(registry, "CreateSubscription", ["user_id", "plan"])).toEqual([]);
    expect(validateInput(registry, "CreateSubscription", ["userId"])).toEqual([]);
  });

  it("suggests the field an unknown key meant", () => {
    expect(validateInput(registry, "SendTemplate", ["to", "templte", "varz", "zzzzzzzz"])).toEqual([
      {
        kind: "field",
        field: "templte",
        suggestion: "template",
        message:
          'unknown field "templte" in examples.email.v1.SendTemplateRequest (did you mean "template"?)',
      },
      expect.objectContaining({ field: "varz", suggestion: "vars" }),
      {
        kind: "field",
        field: "zzzzzzzz",
        message: 'unknown field "zzzzzzzz" in examples.email.v1.SendTemplateRequest',
      },
    ]);
  });

  it("reports a method it cannot resolve", () => {
    expect(validateInput(registry, "CreateUsr", ["email"])).toEqual([
      expect.objectContaining({ kind: "method", code: "unimplemented" }),
    ]);
  });
});

describe("descriptors", () => {
  it("names an import that is neither given nor well known", () => {
    expect(() =>
      registryFromFiles([
        file_examples_billing_v1_billing.proto,
        { ...file_examples_auth_v1_auth.proto, dependency: ["missing/thing.proto"] },
      ]),
    ).toThrow("examples/auth/v1/auth.proto imports missing/thing.proto, which is missing");
  });

  it("names the file that cannot be read or is not a descriptor set", async () => {
    await expect(loadDescriptorSet(join(dir.path, "none.binpb"))).rejects.toThrow(
      /cannot read descriptors .*none\.binpb/,
    );
    const garbage = join(dir.path, "garbage.binpb");
    writeFileSync(garbage, "not a descriptor set at all");
    await expect(loadDescriptorSet(garbage)).rejects.toThrow(
      /garbage\.binpb is not a FileDescriptorSet/,
    );
  });
});

describe("error codes and endpoints", () => {
  it("maps every Connect code onto Maestro's codes", () => {
    const codes = Object.values(Code).filter((c): c is Code => typeof c === "number");
    expect(
      codes.map(errorCodeOf).every((c) => (ERROR_CODES as readonly string[]).includes(c)),
    ).toBe(true);
    expect(errorCodeOf(Code.InvalidArgument)).toBe("invalid_argument");
    expect(errorCodeOf(Code.DeadlineExceeded)).toBe("deadline_exceeded");
  });

  it.each([
    ["auth:50051", undefined, "http://auth:50051"],
    ["auth:50051", {}, "https://auth:50051"],
    ["[::1]:50051", undefined, "http://[::1]:50051"],
    ["https://auth.example.com/api/", undefined, "https://auth.example.com/api"],
    ["http://127.0.0.1:8080", undefined, "http://127.0.0.1:8080"],
  ])("parses %s", (endpoint, tls, baseUrl) => {
    expect(parseEndpoint(endpoint, tls)).toMatchObject({ baseUrl });
  });

  it.each([
    ["grpc://auth:50051", undefined],
    ["http://user:secret@auth:1", undefined],
    ["http://auth:1?x=1", undefined],
    ["http://auth:1", {}],
    ["not an endpoint", undefined],
  ])("refuses %s", (endpoint, tls) => {
    const parsed = parseEndpoint(endpoint, tls);
    expect(parsed).toHaveProperty("problem");
    expect(JSON.stringify(parsed)).not.toContain("secret");
  });
});
