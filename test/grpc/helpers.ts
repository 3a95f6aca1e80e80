/**
 * Shared by the Connect caller and gRPC tests: example services on loopback, descriptor sets
 * built in-process from the generated code, service definitions, and test certificates.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescFile, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { type RunningAuthService, startAuthService } from "../../examples/services/auth/server.js";
import {
  type RunningBillingService,
  startBillingService,
} from "../../examples/services/billing/server.js";
import {
  type RunningEmailService,
  startEmailService,
} from "../../examples/services/email/server.js";
import { file_examples_auth_v1_auth } from "../../src/gen/examples/auth/v1/auth_pb.js";
import type { CallRequest } from "../../src/ports/service-caller.js";
import type { ServiceDefinition, ServiceType } from "../../src/workflow/model.js";

export interface ExampleServices {
  readonly auth: RunningAuthService;
  readonly billing: RunningBillingService;
  readonly email: RunningEmailService;
  close(): Promise<void>;
}

export async function startExampleServices(): Promise<ExampleServices> {
  const [auth, billing, email] = await Promise.all([
    startAuthService(),
    startBillingService(),
    startEmailService(),
  ]);
  return {
    auth,
    billing,
    email,
    close: async () => {
      await Promise.all([auth.close(), billing.close(), email.close()]);
    },
  };
}

/** The files and every import, each after its imports: what `buf build` writes. */
export function descriptorSetBytes(files: readonly DescFile[]): Uint8Array {
  const ordered: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.proto.name)) return;
    seen.add(file.proto.name);
    for (const dependency of file.dependencies) visit(dependency);
    ordered.push(file.proto);
  };
  for (const file of files) visit(file);
  return toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: ordered }));
}

export function writeDescriptorSet(dir: string, name: string, files: readonly DescFile[]): string {
  const path = join(dir, name);
  writeFileSync(path, descriptorSetBytes(files));
  return path;
}

/** auth.proto twice, as examples.auth.v1 and a copy as examples.auth.v2: `CreateUser` is ambiguous. */
export function ambiguousDescriptorSet(dir: string): string {
  const v1 = file_examples_auth_v1_auth.proto;
  const copy = JSON.stringify(toJson(FileDescriptorProtoSchema, v1))
    .replaceAll("examples.auth.v1", "examples.auth.v2")
    .replaceAll("examples/auth/v1", "examples/auth/v2");
  const v2 = fromJson(FileDescriptorProtoSchema, JSON.parse(copy));
  const path = join(dir, "ambiguous.binpb");
  writeFileSync(
    path,
    toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: [v1, v2] })),
  );
  return path;
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "maestro-grpc-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function serviceDef(
  endpoints: string | readonly string[],
  extra: Partial<ServiceDefinition> & { type?: ServiceType } = {},
): ServiceDefinition {
  return {
    name: "svc",
    type: "grpc",
    endpoints: typeof endpoints === "string" ? [endpoints] : endpoints,
    timeoutMs: 5_000,
    retry: {
      maxAttempts: 3,
      initialIntervalMs: 10,
      backoffCoefficient: 2,
      maxIntervalMs: 100,
      jitter: "none",
      retryableErrors: [],
      nonRetryableErrors: [],
    },
    headers: {},
    ...extra,
  };
}

let counter = 0;

export function callRequest(
  service: ServiceDefinition,
  method: string,
  input: unknown,
  extra: Partial<CallRequest> = {},
): CallRequest {
  counter += 1;
  return {
    service,
    method,
    input,
    headers: {},
    idempotencyKey: `run-${process.pid}-${counter}/step`,
    attempt: 1,
    correlationId: `corr-${counter}`,
    timeoutMs: service.timeoutMs,
    ...extra,
  };
}

export interface TestCerts {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A second CA, which signed nothing here. */
  readonly otherCaCert: string;
}

/**
 * A CA, a server certificate for 127.0.0.1, localhost and auth.internal, and a client
 * certificate, made with the openssl CLI (EC P-256: fast to generate).
 */
export function makeCerts(dir: string): TestCerts {
  const p = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  const key = (name: string) =>
    ssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p(name));
  const ca = (name: string) => {
    key(`${name}.key`);
    ssl(
      "req",
      "-x509",
      "-new",
      "-key",
      p(`${name}.key`),
      "-subj",
      `/CN=${name}`,
      "-days",
      "2",
      "-out",
      p(`${name}.crt`),
    );
  };
  const leaf = (name: string, ext: string) => {
    key(`${name}.key`);
    ssl("req", "-new", "-key", p(`${name}.key`), "-subj", `/CN=${name}`, "-out", p(`${name}.csr`));
    writeFileSync(p(`${name}.ext`), ext);
    ssl(
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.crt"),
      "-CAkey",
      p("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      p(`${name}.ext`),
      "-out",
      p(`${name}.crt`),
    );
  };
  ca("ca");
  ca("other-ca");
  leaf(
    "server",
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:auth.internal\nextendedKeyUsage=serverAuth\n",
  );
  leaf("client", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caCert: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    otherCaCert: p("other-ca.crt"),
  };
}
