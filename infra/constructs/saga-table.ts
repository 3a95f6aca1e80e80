import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { SAGA_TABLE } from "../../src/adapters/dynamodb/index.js";
import type { TableAction } from "../access.js";

export interface SagaTableProps {
  readonly tableName: string;
  /** Deletion protection, point-in-time recovery kept, RETAIN on stack deletion. */
  readonly protectData: boolean;
}

/**
 * The saga log: one on-demand table per environment, keyed and indexed exactly as the
 * DynamoDB adapter expects ({@link SAGA_TABLE}), with TTL on finished runs, point-in-time
 * recovery and encryption under the AWS-managed KMS key.
 */
export class SagaTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: SagaTableProps) {
    super(scope, id);
    const string = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, "Table", {
      tableName: props.tableName,
      partitionKey: string(SAGA_TABLE.partitionKey),
      sortKey: string(SAGA_TABLE.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: SAGA_TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The aws/dynamodb key: key use shows in CloudTrail, no key to pay for or to grant.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.protectData,
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of [SAGA_TABLE.byStatus, SAGA_TABLE.byWorkflowStatus]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        // Only run headers carry index keys, and they are small.
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** Exactly `actions` on the table, and `Query` on the two indexes when `queryIndexes`. */
  grant(grantee: iam.IGrantable, actions: readonly TableAction[], queryIndexes: boolean): void {
    const { tableArn } = this.table;
    iam.Grant.addToPrincipal({
      grantee,
      actions: actions.map((a) => `dynamodb:${a}`),
      resourceArns: [tableArn],
    });
    if (queryIndexes) {
      iam.Grant.addToPrincipal({
        grantee,
        actions: ["dynamodb:Query"],
        resourceArns: [SAGA_TABLE.byStatus, SAGA_TABLE.byWorkflowStatus].map(
          (index) => `${tableArn}/index/${index.indexName}`,
        ),
      });
    }
  }
}
