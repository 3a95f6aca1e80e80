/**
 * The example email service (examples.email.v1.EmailService) of the user_onboarding
 * workflow: gRPC, Connect and gRPC-web on one port. Alone:
 * `npx tsx examples/services/email/server.ts`.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { EmailService, Priority } from "../../../src/gen/examples/email/v1/email_pb.js";
import {
  implement,
  type RunningGrpcService,
  runAlone,
  type StartOptions,
  startGrpcService,
} from "../grpc-kit.js";

export interface SentEmail {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

export interface RunningEmailService extends RunningGrpcService {
  /** Messages in the order they were queued. */
  readonly outbox: SentEmail[];
}

const TEMPLATES: Readonly<Record<string, { subject: string; body: string }>> = {
  welcome: { subject: "Welcome, {{name}}!", body: "Hi {{name}}, you are on the {{plan}} plan." },
  goodbye: { subject: "Goodbye, {{name}}", body: "Your account is closed." },
};

function render(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => vars[name] ?? "");
}

export async function startEmailService(options: StartOptions = {}): Promise<RunningEmailService> {
  const outbox: SentEmail[] = [];
  const email = implement(EmailService, {
    sendTemplate(req) {
      if (!req.to.includes("@"))
        throw new ConnectError(`"${req.to}" is not an email address`, Code.InvalidArgument);
      const template = TEMPLATES[req.template];
      if (template === undefined) {
        const known = Object.keys(TEMPLATES).join(", ");
        throw new ConnectError(
          `unknown template "${req.template}" (known: ${known})`,
          Code.InvalidArgument,
        );
      }
      const subject = render(template.subject, req.vars);
      const body = render(template.body, req.vars);
      const digest = createHash("sha256").update(body);
      for (const attachment of req.attachments) digest.update(attachment.content);
      const id = `msg_${String(outbox.length + 1).padStart(4, "0")}`;
      outbox.push({ id, to: req.to, subject, body });
      const delayMs =
        Number(req.sendAfter?.seconds ?? 0n) * 1000 + (req.sendAfter?.nanos ?? 0) / 1e6;
      return {
        messageId: id,
        digest: digest.digest(),
        scheduledAt: timestampFromMs(Date.now() + delayMs),
        priority: req.priority === Priority.UNSPECIFIED ? Priority.NORMAL : req.priority,
        ...(req.metadata !== undefined && { metadata: req.metadata }),
        subject,
      };
    },
  });
  const service = await startGrpcService("email", [email], options);
  return { ...service, outbox };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone(startEmailService, 50053);
}
