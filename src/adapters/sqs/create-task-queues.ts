/**
 * Creating a task queue with its dead-letter queue, for tests and local development; deployed
 * stacks define the same pair in CDK.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { queueError } from "./queue-errors.js";

export interface TaskQueueOptions {
  /** Receives after which a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Visibility timeout for receives that give none. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

export interface TaskQueues {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

/**
 * Creates `<prefix>-dlq` and `<prefix>`, whose redrive policy moves a message to the former
 * after `maxReceiveCount` receives: how poison messages leave the queue.
 */
export async function createTaskQueues(
  client: SQSClient,
  prefix: string,
  options: TaskQueueOptions = {},
): Promise<TaskQueues> {
  try {
    const dlq = await client.send(new CreateQueueCommand({ QueueName: `${prefix}-dlq` }));
    const deadLetterQueueUrl = dlq.QueueUrl;
    if (deadLetterQueueUrl === undefined) throw new Error("CreateQueue returned no QueueUrl");
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ["QueueArn"] }),
    );
    const deadLetterTargetArn = attributes.Attributes?.QueueArn;
    if (deadLetterTargetArn === undefined) throw new Error("the dead-letter queue has no ARN");
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: prefix,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn,
            maxReceiveCount: options.maxReceiveCount ?? 5,
          }),
        },
      }),
    );
    if (queue.QueueUrl === undefined) throw new Error("CreateQueue returned no QueueUrl");
    return { queueUrl: queue.QueueUrl, deadLetterQueueUrl };
  } catch (error) {
    throw queueError(error, `creating queues ${prefix}`);
  }
}
