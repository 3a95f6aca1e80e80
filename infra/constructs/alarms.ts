import { Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { AlarmSettings } from "../config.js";

/**
 * The run metrics the alarms read. The runtime publishes them with Powertools Metrics (EMF)
 * under `POWERTOOLS_METRICS_NAMESPACE`, with the default `service` dimension set to
 * `POWERTOOLS_SERVICE_NAME` — the environment's name prefix — so environments stay apart.
 */
export const RUN_METRICS = {
  namespace: "Maestro",
  /** Count, +1 per run that ends `failed`, `compensated` or `compensation_failed`. */
  runsFailed: "RunsFailed",
} as const;

export interface AlarmsProps {
  readonly namePrefix: string;
  readonly settings: AlarmSettings;
  /** Dead-letter queues by name: anything in one needs an operator. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Functions whose errors (a handler that threw) raise an alarm. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
}

/**
 * The environment's alarms and where they go: a message in any DLQ, function errors, and
 * failed runs, each to an SNS topic (new, with an optional e-mail subscription, or yours).
 */
export class Alarms extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { namePrefix, settings } = props;
    this.topic = settings.topicArn
      ? sns.Topic.fromTopicArn(this, "Topic", settings.topicArn)
      : this.createTopic(namePrefix, settings.email);
    const period = Duration.minutes(5);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (
      alarmId: string,
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      threshold: number,
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${namePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
      alarms.push(created);
    };
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}DeadLetters`,
        `${name}-dead-letters`,
        `Messages in ${name} dead-letter queue: they exhausted their retries and need an operator.`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        1,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}Errors`,
        `${name}-errors`,
        `The ${name} function failed invocations (not single records, which are retried).`,
        fn.metricErrors({ period, statistic: "Sum" }),
        settings.workerErrors,
      );
    }
    alarm(
      "RunFailures",
      "run-failures",
      "Runs ended failed or compensated.",
      new cloudwatch.Metric({
        namespace: RUN_METRICS.namespace,
        metricName: RUN_METRICS.runsFailed,
        dimensionsMap: { service: namePrefix },
        period,
        statistic: "Sum",
      }),
      settings.runFailures,
    );
    this.alarms = alarms;
  }

  private createTopic(namePrefix: string, email: string | undefined): sns.Topic {
    const topic = new sns.Topic(this, "Topic", {
      topicName: `${namePrefix}-alarms`,
      displayName: `Maestro alarms (${namePrefix})`,
      enforceSSL: true,
    });
    if (email) topic.addSubscription(new EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "Alarm notifications carry alarm names and states only. CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key would cost more than the data warrants.",
    });
    return topic;
  }
}
