import { Duration } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface WorkQueueProps {
  readonly queueName: string;
  /** The timeout of the function that consumes the queue. */
  readonly consumerTimeout: Duration;
  /** The consumer's batching window, which adds to how long a message may be held. */
  readonly batchingWindow: Duration;
  /** Deliveries before a message is moved to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/**
 * An SQS queue and its dead-letter queue, encrypted (SSE-SQS) and TLS-only. The visibility
 * timeout is six times the consumer's timeout plus its batching window, as AWS advises for
 * Lambda event sources, so a message is not redelivered while a throttled or retried
 * invocation still holds it.
 */
export class WorkQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** Deliveries before a message moves to the DLQ; the worker marks the run on the last one. */
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount;
    const common = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    };
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      ...common,
      queueName: `${props.queueName}-dlq`,
      // A message keeps its first enqueue time in the DLQ: keep it as long as SQS allows.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, "Queue", {
      ...common,
      queueName: props.queueName,
      visibilityTimeout: Duration.seconds(
        6 * props.consumerTimeout.toSeconds() + props.batchingWindow.toSeconds(),
      ),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
