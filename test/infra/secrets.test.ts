/**
 * Workers may read exactly the secrets the deployed workflows name; other functions none.
 * The saga log's sealing key is a separate secret every function reads (see access.test.ts).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Synthesized, synth } from "./synth.js";

let stack: Synthesized;
beforeAll(async () => {
  stack = await synth("dev", { workflows: "test/fixtures/infra-secrets/*.yaml" });
});

function statementsOf(s: Synthesized, action: string) {
  const policies = s.template.findResources("AWS::IAM::Policy") as Record<
    string,
    {
      Properties: {
        PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
        Roles: { Ref: string }[];
      };
    }
  >;
  return Object.values(policies).flatMap((p) =>
    p.Properties.PolicyDocument.Statement.filter((st) => [st.Action].flat().includes(action)).map(
      (st) => ({
        roles: p.Properties.Roles.map((r) => r.Ref),
        resource: JSON.stringify(st.Resource),
      }),
    ),
  );
}

describe("secret access", () => {
  it("grants GetSecretValue and GetParameter on the named secrets to the two workers only", () => {
    const secrets = statementsOf(stack, "secretsmanager:GetSecretValue").filter(
      (s) => !s.resource.includes("SealingKeySecret"),
    );
    const parameters = statementsOf(stack, "ssm:GetParameter");
    expect(secrets).toHaveLength(2);
    expect(parameters).toHaveLength(2);
    for (const s of secrets) expect(s.resource).toContain(":secret:crm-token-??????");
    for (const p of parameters) expect(p.resource).toContain(":parameter/maestro/crm/key");
    const roles = new Set([...secrets, ...parameters].flatMap((s) => s.roles));
    expect(roles.size).toBe(2);
    expect([...roles].every((r) => /StepWorker|Compensator/.test(r))).toBe(true);
  });
});
