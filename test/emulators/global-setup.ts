/**
 * vitest globalSetup: starts DynamoDB Local and fauxqs once per test run and hands their
 * endpoints to the test files through `provide`/`inject` (see endpoints.ts). Test files share
 * both emulators and keep apart by creating uniquely named tables and queues.
 *
 * Without Java, the DynamoDB-backed tests are skipped with a warning, except under CI
 * (`CI` set), where a missing emulator fails the run: CI must exercise every guarantee.
 */
import type { TestProject } from "vitest/node";
import {
  EmulatorUnavailableError,
  type RunningEmulator,
  startDynamoLocal,
} from "./dynamo-local.js";
import type { EmulatorEndpoints } from "./endpoints.js";
import { startFauxqs } from "./fauxqs.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamodb, sqs] = await Promise.allSettled([startDynamoLocal(), startFauxqs()]);
  const running = [dynamodb, sqs].flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const stopAll = async () => {
    await Promise.all(running.map((emulator: RunningEmulator) => emulator.stop()));
  };
  try {
    if (sqs.status === "rejected") throw sqs.reason;
    let endpoints: EmulatorEndpoints;
    if (dynamodb.status === "fulfilled") {
      endpoints = { dynamodb: { endpoint: dynamodb.value.endpoint }, sqs: sqs.value.endpoint };
    } else {
      const reason: unknown = dynamodb.reason;
      if (!(reason instanceof EmulatorUnavailableError) || process.env.CI) throw reason;
      console.warn(`\n⚠ DynamoDB-backed tests are skipped: ${reason.message}\n`);
      endpoints = { dynamodb: { unavailable: reason.message }, sqs: sqs.value.endpoint };
    }
    project.provide("emulators", endpoints);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
