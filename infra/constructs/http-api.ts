import { RemovalPolicy } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer, HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { ApiSettings, AuthSettings } from "../config.js";
import { MaestroFunction, type MaestroFunctionProps } from "./maestro-function.js";

export interface HttpApiProps extends Omit<MaestroFunctionProps, "environment"> {
  readonly api: ApiSettings;
  readonly auth?: AuthSettings;
}

/**
 * The api function and how it is reached: an HTTP API (API Gateway v2) whose every route
 * requires a JWT from the configured issuer — or, without one, a SigV4-signed IAM caller — with
 * access logs and stage throttling; and/or a Function URL.
 */
export class HttpApi extends Construct {
  readonly fn: MaestroFunction;
  /** The HTTP API's URL, when there is one. */
  readonly url?: string;
  readonly functionUrl?: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const { auth, api, runtime } = props;
    this.fn = new MaestroFunction(this, "Fn", {
      ...props,
      environment: {
        ...(auth && {
          MAESTRO_AUTH_ISSUER: auth.issuer,
          MAESTRO_AUTH_AUDIENCE: auth.audience.join(","),
        }),
        ...(api.maxBacklog !== undefined && { MAESTRO_MAX_BACKLOG: String(api.maxBacklog) }),
      },
    });
    if (api.httpApi) {
      const httpApi = new apigw.HttpApi(this, "HttpApi", {
        apiName: `${runtime.namePrefix}-api`,
        description: `Maestro API (${runtime.namePrefix})`,
        createDefaultStage: false,
        defaultIntegration: new HttpLambdaIntegration("Api", this.fn.function),
        defaultAuthorizer: auth
          ? new HttpJwtAuthorizer("Jwt", auth.issuer, { jwtAudience: [...auth.audience] })
          : new HttpIamAuthorizer(),
      });
      const accessLogs = new logs.LogGroup(this, "AccessLogs", {
        logGroupName: `/aws/apigateway/${runtime.namePrefix}-api`,
        retention: runtime.logRetentionDays,
        removalPolicy: runtime.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      const stage = new apigw.HttpStage(this, "Stage", {
        httpApi,
        stageName: "$default",
        autoDeploy: true,
        throttle: api.throttle,
        accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
      });
      this.url = stage.url;
    }
    if (api.functionUrl !== "off") {
      this.functionUrl = this.fn.function.addFunctionUrl({
        authType:
          api.functionUrl === "iam"
            ? lambda.FunctionUrlAuthType.AWS_IAM
            : lambda.FunctionUrlAuthType.NONE,
      });
    }
  }
}
