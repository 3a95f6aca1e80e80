/**
 * A stand-in for an AWS JSON-protocol API (Secrets Manager, SSM) on loopback, for tests
 * that drive the real SDK clients: each request's `X-Amz-Target` and JSON body go to
 * `answer`, whose result is sent back as `application/x-amz-json-1.1`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface AwsJsonAnswer {
  /** @default 200 */
  readonly status?: number;
  readonly body: unknown;
}

export interface AwsJsonStandIn {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** An AWS JSON error answer, as the SDK maps it to its exception classes. */
export function awsJsonError(type: string, message = "not found"): AwsJsonAnswer {
  return { status: 400, body: { __type: type, message } };
}

export async function startAwsJsonStandIn(
  answer: (target: string, input: Record<string, unknown>) => AwsJsonAnswer,
): Promise<AwsJsonStandIn> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const reply = answer(
        String(req.headers["x-amz-target"]),
        JSON.parse(body) as Record<string, unknown>,
      );
      res.statusCode = reply.status ?? 200;
      res.setHeader("content-type", "application/x-amz-json-1.1");
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
