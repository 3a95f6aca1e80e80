/**
 * `GET /v1/runs/{id}/events`: the run's saga log as server-sent events, live. Each event's
 * SSE id is its sequence number, so a client that reconnects with `Last-Event-ID` resumes
 * where it left off. The stream ends after the run's final event.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { FINAL_STATUSES } from "../engine/events.js";
import type { SagaLog } from "../ports/saga-log.js";
import { problem } from "./problem.js";

export function streamRunEvents(c: Context, log: SagaLog, runId: string, pollMs = 250) {
  const read = log.events?.bind(log);
  if (!read) throw problem(501, "not_supported", "this store does not serve event streams");
  const resume = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0);
  let after = Number.isInteger(resume) && resume > 0 ? resume : 0;
  return streamSSE(c, async (stream) => {
    let open = true;
    stream.onAbort(() => {
      open = false;
    });
    while (open) {
      const events = await read(runId, after);
      for (const event of events) {
        await stream.writeSSE({
          id: String(event.seq),
          event: event.type,
          data: JSON.stringify(event),
        });
        after = event.seq;
        if (event.type === "run_finished" && FINAL_STATUSES.has(event.status)) open = false;
      }
      if (open) await stream.sleep(pollMs);
    }
  });
}
