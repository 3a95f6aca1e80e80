/**
 * The key material that seals the workflows' `sensitive` values in the saga table: a
 * Secrets Manager secret generated at deploy time, read once per cold start by every
 * function (each gets GetSecretValue on this secret only). Kept when the stack is deleted
 * outside dev: without it, the sealed values of the table's runs cannot be read.
 */
import { RemovalPolicy, Validations } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export interface SealingKeyProps {
  readonly namePrefix: string;
  readonly protectData: boolean;
}

export class SealingKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SealingKeyProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, "Secret", {
      secretName: `${props.namePrefix}/sealing-key`,
      description: "Seals the workflows' sensitive fields in the Maestro saga table",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        "Runs sealed under the old key must stay readable, so rotation is by hand: put the new material in front of the old, comma-separated (the first seals, every one opens), and drop the old one when its runs have expired.",
    });
  }

  grantRead(fn: lambda.IFunction): void {
    this.secret.grantRead(fn);
  }
}
