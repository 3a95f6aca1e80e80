/**
 * The backlog of an SQS queue, for overflow checks: visible + delayed + in-flight messages
 * (all approximate, as SQS reports them), cached for a few seconds so that a busy API asks
 * SQS about once per `cacheMs` rather than once per request.
 */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type Clock, systemClock } from "../../ports/clock.js";
import { type Logger, silentLogger } from "../../ports/logger.js";
import type { BacklogProbe } from "../../resilience/backlog.js";
import { queueError } from "./queue-errors.js";

export interface SqsBacklogProbeOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** @default 5000 */
  readonly cacheMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Told when SQS cannot be asked (the depth is then unknown). @default silentLogger */
  readonly logger?: Logger;
}

const ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesDelayed",
  "ApproximateNumberOfMessagesNotVisible",
] as const;

/**
 * @example
 * const probe = createSqsBacklogProbe({ client: sqs, queueUrl: config.stepQueueUrl });
 * overflowCheck(await probe.depth(), 10_000);
 */
export function createSqsBacklogProbe(options: SqsBacklogProbeOptions): BacklogProbe {
  const { client, queueUrl } = options;
  const cacheMs = options.cacheMs ?? 5_000;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  let last: { depth: number | undefined; at: number } | undefined;
  let asking: Promise<number | undefined> | undefined;

  async function ask(): Promise<number | undefined> {
    try {
      const out = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...ATTRIBUTES] }),
      );
      return ATTRIBUTES.reduce((sum, name) => sum + Number(out.Attributes?.[name] ?? 0), 0);
    } catch (error) {
      // A failure is remembered like an answer, so a struggling SQS is not asked on every request.
      logger.warn("queue depth unknown", {
        queueUrl,
        error: queueError(error, "reading queue attributes").message,
      });
      return undefined;
    }
  }

  return {
    async depth() {
      if (last && clock.now() - last.at < cacheMs) return last.depth;
      asking ??= ask().then((depth) => {
        last = { depth, at: clock.now() };
        asking = undefined;
        return depth;
      });
      return asking;
    },
  };
}
