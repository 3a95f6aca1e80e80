/**
 * One abort signal per call that fires on the call's deadline or when the worker gives up.
 *
 * Built by hand rather than with `AbortSignal.any([AbortSignal.timeout(ms), request.signal])`:
 * the worker's signal lives for the whole process, and `AbortSignal.any` keeps every derived
 * signal reachable from it (nodejs/node#55351), while `AbortSignal.timeout` keeps its timer
 * until it fires. Here both the listener and the timer are released as soon as the call ends.
 */

/** Why a call's signal fired. */
export type AbortCause = "timeout" | "canceled";

export interface CallDeadline {
  /** Pass to `fetch` and to body reads. */
  readonly signal: AbortSignal;
  /** Why the signal fired, or undefined while it has not. */
  cause(): AbortCause | undefined;
  /** Clears the timer and detaches from the external signal. Call once the call has ended. */
  dispose(): void;
}

/** `setTimeout` fires at once for delays above this (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Starts the clock for one call of at most `timeoutMs`, also ended by `external` aborting. */
export function startDeadline(timeoutMs: number, external?: AbortSignal): CallDeadline {
  const controller = new AbortController();
  let cause: AbortCause | undefined;
  const abort = (why: AbortCause): void => {
    if (cause !== undefined) return;
    cause = why;
    controller.abort(
      new DOMException(`call ${why === "timeout" ? "timed out" : why}`, "AbortError"),
    );
  };
  const onExternalAbort = (): void => abort("canceled");

  let timer: ReturnType<typeof setTimeout> | undefined;
  if (external?.aborted) {
    abort("canceled");
  } else {
    external?.addEventListener("abort", onExternalAbort, { once: true });
    // An infinite or absurdly long timeout means "no deadline of our own".
    if (Number.isFinite(timeoutMs) && timeoutMs <= MAX_TIMER_MS) {
      timer = setTimeout(() => abort("timeout"), Math.max(0, timeoutMs));
    }
  }

  return {
    signal: controller.signal,
    cause: () => cause,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      external?.removeEventListener("abort", onExternalAbort);
    },
  };
}
