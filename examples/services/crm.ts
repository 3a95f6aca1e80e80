/**
 * The CRM behind examples/workflows/user_onboarding.yaml: an HTTP JSON service with
 * `POST /contacts` and `DELETE /contacts/:id`, idempotent by `Idempotency-Key`. It refuses
 * contacts from a disposable-mail domain with 422, which fails an onboarding late and
 * shows its compensation.
 *
 * Alone: `npx tsx examples/services/crm.ts [port]`.
 */
import { fileURLToPath } from "node:url";
import { createService, listen, newState, type RunningService } from "./toolkit.js";

export const DISPOSABLE_DOMAIN = "mailinator.com";

export async function startCrm(port = 0): Promise<RunningService> {
  const state = newState();
  const contacts = new Map<string, Record<string, unknown>>();
  let next = 0;
  const app = createService(
    {
      "POST /contacts": (body) => {
        if (String(body.email ?? "").endsWith(`@${DISPOSABLE_DOMAIN}`)) {
          return {
            status: 422,
            body: { error: "disposable email addresses are not accepted", field: "email" },
          };
        }
        const id = `contact_${++next}`;
        contacts.set(id, body);
        return { status: 201, body: { id, ...body } };
      },
      "DELETE /contacts/:id": (_, params) => {
        const id = params.id ?? "";
        const existed = contacts.delete(id);
        return { body: { id, deleted: existed } };
      },
    },
    state,
  );
  return listen("crm", app, state, port);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const crm = await startCrm(Number(process.argv[2] ?? 0));
  console.log(`crm=${crm.url}`);
}
