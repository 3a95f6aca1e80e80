/**
 * What every example HTTP service shares: a call log, idempotency by `Idempotency-Key`
 * (a repeated key returns the first response and performs no second effect), and fault
 * knobs so retries and compensation can be shown and tested.
 *
 * Faults are set per route with `POST /_faults` `{ "route": "POST /charges", "mode":
 * "always" | "times", "count": 2, "status": 503, "delayMs": 0 }` (or the env var
 * `FAULTS` with the same JSON as a list), cleared with `DELETE /_faults`; `GET /_calls`
 * lists the calls received.
 */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { type Context, Hono } from "hono";

export interface Fault {
  readonly route: string;
  readonly mode: "always" | "times" | "delay";
  /** For "times": fail this many calls, then succeed. */
  count?: number;
  readonly status?: number;
  readonly delayMs?: number;
}

export interface CallRecord {
  readonly route: string;
  readonly path: string;
  readonly idempotencyKey: string | null;
  readonly attempt: string | null;
  readonly body: unknown;
  /** Whether this call performed its effect (false for replays and injected faults). */
  effect: boolean;
}

export interface ServiceState {
  readonly calls: CallRecord[];
  readonly faults: Map<string, Fault>;
  readonly replies: Map<string, { status: number; body: unknown }>;
}

export type Handler = (
  body: Record<string, unknown>,
  params: Record<string, string>,
) => { status?: number; body: unknown };

export interface RunningService {
  readonly name: string;
  readonly url: string;
  readonly state: ServiceState;
  /** Effects performed per route (replays and faults excluded). */
  effects(route?: string): CallRecord[];
  close(): Promise<void>;
}

/**
 * Builds a service from `routes` (`"POST /charges/:id/refunds"` → handler). Handlers run
 * once per idempotency key.
 */
export function createService(routes: Record<string, Handler>, state: ServiceState = newState()) {
  const app = new Hono();
  app.get("/_calls", (c) => c.json(state.calls));
  app.post("/_faults", async (c) => {
    const fault = (await c.req.json()) as Fault;
    state.faults.set(fault.route, { ...fault });
    return c.json({ ok: true });
  });
  app.delete("/_faults", (c) => {
    state.faults.clear();
    return c.json({ ok: true });
  });
  app.get("/healthz", (c) => c.json({ ok: true }));
  for (const [route, handler] of Object.entries(routes)) {
    const [verb = "GET", path = "/"] = route.split(" ");
    app.on(verb, path, async (c: Context) => {
      const text = await c.req.text();
      const body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
      const key = c.req.header("idempotency-key") ?? null;
      const record: CallRecord = {
        route,
        path: new URL(c.req.url).pathname,
        idempotencyKey: key,
        attempt: c.req.header("x-maestro-attempt") ?? null,
        body,
        effect: false,
      };
      state.calls.push(record);
      const fault = state.faults.get(route);
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (
        fault &&
        (fault.mode === "always" || (fault.mode === "times" && (fault.count ?? 0) > 0))
      ) {
        if (fault.mode === "times") fault.count = (fault.count ?? 1) - 1;
        const status = fault.status ?? 503;
        return c.json({ error: "injected fault", route }, status as 503);
      }
      const replayKey = key === null ? undefined : `${route} ${key}`;
      const earlier = replayKey === undefined ? undefined : state.replies.get(replayKey);
      if (earlier) return c.json(earlier.body as object, earlier.status as 200);
      const reply = handler(body, c.req.param() as Record<string, string>);
      const status = reply.status ?? 200;
      if (status < 300) record.effect = true;
      if (replayKey !== undefined && status < 500)
        state.replies.set(replayKey, { status, body: reply.body });
      return c.json(reply.body as object, status as 200);
    });
  }
  return app;
}

export function newState(): ServiceState {
  const state: ServiceState = { calls: [], faults: new Map(), replies: new Map() };
  const fromEnv = process.env.FAULTS;
  if (fromEnv) for (const f of JSON.parse(fromEnv) as Fault[]) state.faults.set(f.route, { ...f });
  return state;
}

/** Serves an app on 127.0.0.1 (port 0 = any free port). */
export async function listen(
  name: string,
  app: Hono,
  state: ServiceState,
  port = 0,
): Promise<RunningService> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${address.port}`,
    state,
    effects: (route) =>
      state.calls.filter((c) => c.effect && (route === undefined || c.route === route)),
    close: () =>
      new Promise<void>((resolve) => {
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
