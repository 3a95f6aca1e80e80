/**
 * The example billing service (examples.billing.v1.BillingService) of the user_onboarding
 * workflow: gRPC, Connect and gRPC-web on one port. Alone:
 * `npx tsx examples/services/billing/server.ts`.
 */
import { fileURLToPath } from "node:url";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BillingService,
  Tier,
  UnknownPlanDetailSchema,
} from "../../../src/gen/examples/billing/v1/billing_pb.js";
import {
  implement,
  type RunningGrpcService,
  runAlone,
  type StartOptions,
  startGrpcService,
} from "../grpc-kit.js";

export interface Subscription {
  readonly id: string;
  readonly userId: string;
  readonly plan: string;
  cancelled: boolean;
}

export interface RunningBillingService extends RunningGrpcService {
  /** Subscriptions by id. */
  readonly subscriptions: Map<string, Subscription>;
}

const PLANS: Readonly<Record<string, { tier: Tier; name: string }>> = {
  free: { tier: Tier.FREE, name: "Free" },
  pro: { tier: Tier.PRO, name: "Pro" },
  team: { tier: Tier.TEAM, name: "Team" },
};

export async function startBillingService(
  options: StartOptions = {},
): Promise<RunningBillingService> {
  const subscriptions = new Map<string, Subscription>();
  let created = 0;
  const billing = implement(BillingService, {
    createSubscription(req) {
      if (req.userId === "") throw new ConnectError("user_id is required", Code.InvalidArgument);
      const plan = PLANS[req.plan];
      if (plan === undefined) {
        throw new ConnectError(`unknown plan "${req.plan}"`, Code.InvalidArgument, undefined, [
          {
            desc: UnknownPlanDetailSchema,
            value: { plan: req.plan, knownPlans: Object.keys(PLANS) },
          },
        ]);
      }
      created += 1;
      const id = `sub_${String(created).padStart(4, "0")}`;
      subscriptions.set(id, { id, userId: req.userId, plan: req.plan, cancelled: false });
      return { id, tier: plan.tier, planName: plan.name, startedAt: timestampNow() };
    },
    cancelSubscription(req) {
      const subscription = subscriptions.get(req.subscriptionId);
      if (subscription === undefined || subscription.cancelled) return { cancelled: false };
      subscription.cancelled = true;
      return { cancelled: true };
    },
  });
  const service = await startGrpcService("billing", [billing], options);
  return { ...service, subscriptions };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runAlone(startBillingService, 50052);
}
