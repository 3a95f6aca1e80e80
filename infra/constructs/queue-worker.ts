import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct } from "constructs";
import type { ConsumerSettings } from "../config.js";
import { MaestroFunction, type MaestroFunctionProps } from "./maestro-function.js";
import type { WorkQueue } from "./work-queue.js";

export interface QueueWorkerProps extends MaestroFunctionProps {
  /** The queue it drains; its visibility timeout must follow this function's timeout. */
  readonly queue: WorkQueue;
  readonly consumer: ConsumerSettings;
}

/**
 * A function fed by its queue: batches with partial batch responses (only the records that
 * failed come back, and after `maxReceiveCount` go to the DLQ) and a maximum concurrency, so a
 * burst of tasks cannot take the account's whole concurrency. The event source grants the
 * consume actions on that queue and nothing else.
 */
export class QueueWorker extends Construct {
  readonly fn: MaestroFunction;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    this.fn = new MaestroFunction(this, "Fn", props);
    // On a task's last delivery the worker marks its run before the task goes to the DLQ.
    this.fn.function.addEnvironment(
      "MAESTRO_MAX_RECEIVE_COUNT",
      String(props.queue.maxReceiveCount),
    );
    const { consumer } = props;
    this.fn.function.addEventSource(
      new SqsEventSource(props.queue.queue, {
        batchSize: consumer.batchSize,
        maxConcurrency: consumer.maxConcurrency,
        reportBatchItemFailures: true,
        ...(consumer.maxBatchingWindowSeconds > 0 && {
          maxBatchingWindow: Duration.seconds(consumer.maxBatchingWindowSeconds),
        }),
      }),
    );
  }
}
