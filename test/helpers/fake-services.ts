/**
 * An in-process service caller for engine and runtime tests: it answers by method,
 * deduplicates effects by idempotency key as a well-behaved service would, and records
 * every call so tests can count calls and effects.
 */
import type { ErrorInfo } from "../../src/errors.js";
import type { CallRequest, CallResult, ServiceCaller } from "../../src/ports/service-caller.js";

export type Behaviour = (request: CallRequest, nth: number) => CallResult | Promise<CallResult>;

export interface FakeServices extends ServiceCaller {
  readonly calls: CallRequest[];
  /** Idempotency key → how many times the effect was performed (a good service keeps this at 1). */
  readonly effects: Map<string, number>;
  on(method: string, behaviour: Behaviour): void;
  callsTo(method: string): CallRequest[];
}

export function failure(
  code: ErrorInfo["code"],
  retryable: boolean,
  extra: Partial<ErrorInfo> = {},
): CallResult {
  return { ok: false, error: { code, message: `${code} (injected)`, retryable, ...extra } };
}

export function createFakeServices(): FakeServices {
  const behaviours = new Map<string, Behaviour>();
  const replies = new Map<string, CallResult>();
  const calls: CallRequest[] = [];
  const effects = new Map<string, number>();
  const counts = new Map<string, number>();
  return {
    calls,
    effects,
    on(method, behaviour) {
      behaviours.set(method, behaviour);
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    async call(request) {
      calls.push(request);
      const earlier = replies.get(request.idempotencyKey);
      if (earlier) return earlier;
      const nth = (counts.get(request.method) ?? 0) + 1;
      counts.set(request.method, nth);
      const behaviour = behaviours.get(request.method);
      const result = behaviour
        ? await behaviour(request, nth)
        : { ok: true as const, output: { id: `${request.idempotencyKey}`, echo: request.input } };
      if (result.ok) {
        effects.set(request.idempotencyKey, (effects.get(request.idempotencyKey) ?? 0) + 1);
        replies.set(request.idempotencyKey, result);
      }
      return result;
    },
  };
}
