/**
 * `GET /v1/runs/{id}/events`: the run's saga log as server-sent events, live. Each event's
 * SSE id is its sequence number, so a client that reconnects with `Last-Event-ID` resumes
 * where it left off. The stream ends after the run's final event.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { LoggedEvent } from "../ports/saga-log.js";

/** Where a (re)connecting client resumes: `Last-Event-ID`, else `?after=`, else the start. */
export function resumeAfter(c: Context): number {
  return Number(c.req.header("last-event-id") ?? c.req.query("after") ?? 0);
}

/** Sends `events` (see RunOperations.events, opened with `abort.signal`) as SSE. */
export function sendRunEvents(
  c: Context,
  events: AsyncIterable<LoggedEvent>,
  abort: AbortController,
): Response {
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => abort.abort());
    for await (const event of events) {
      await stream.writeSSE({
        id: String(event.seq),
        event: event.type,
        data: JSON.stringify(event),
      });
    }
  });
}
