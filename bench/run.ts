/**
 * `npm run bench`: figures for the local runtime, measured in one run on this machine.
 * Compare ratios, not absolute numbers: the machine is shared and noisy.
 */
import {
  fanOutWorkflow,
  gaps,
  percentile,
  runMaestro,
  runPlain,
  sensitiveWorkflow,
  sequentialWorkflow,
} from "./engine-bench.js";
import { startNoopService } from "./noop-service.js";

const STEPS = Number(process.env.BENCH_STEPS ?? 200);
const LONG = Number(process.env.BENCH_LONG ?? 1000);
const fmt = (n: number, digits = 1) => n.toFixed(digits);

const service = await startNoopService();
try {
  // Warm up connections and the JIT so the first measured run is not penalised.
  await runPlain(service.url, 50, false);
  await runMaestro(sequentialWorkflow(20, service.url), 4);

  console.log(
    `Maestro local runtime benchmark (Node ${process.version}, in-memory store, HTTP no-op on loopback)\n`,
  );

  const plainSeq = await runPlain(service.url, STEPS, false);
  const seq = await runMaestro(sequentialWorkflow(STEPS, service.url), 4);
  const overhead = gaps(seq.times);
  console.log(`Sequential, ${STEPS} steps`);
  console.log(`  plain fetch:  ${fmt((STEPS / plainSeq.wallMs) * 1000, 0)} calls/s`);
  console.log(`  maestro:      ${fmt((STEPS / seq.wallMs) * 1000, 0)} steps/s`);
  console.log(`  ratio maestro/plain throughput: ${fmt(plainSeq.wallMs / seq.wallMs, 2)}`);
  console.log(
    `  orchestration CPU per step: ${fmt((seq.cpuMs - plainSeq.cpuMs) / STEPS, 3)} ms (CPU of the run minus CPU of the plain calls, per step)`,
  );
  console.log(
    `  per-step overhead (end of one call → start of the next): p50 ${fmt(percentile(overhead, 50), 3)} ms, p99 ${fmt(percentile(overhead, 99), 3)} ms`,
  );

  const fan = 100;
  const plainFan = await runPlain(service.url, fan + 1, true);
  const fanRun = await runMaestro(fanOutWorkflow(fan, service.url), 16);
  console.log(`\nFan-out, ${fan} parallel branches + join (16 workers)`);
  console.log(`  plain fetch (all at once): ${fmt(plainFan.wallMs)} ms for ${fan + 1} calls`);
  console.log(
    `  maestro:                   ${fmt(fanRun.wallMs)} ms → ${fmt(((fan + 1) / fanRun.wallMs) * 1000, 0)} steps/s`,
  );
  console.log(`  ratio maestro/plain time:  ${fmt(fanRun.wallMs / plainFan.wallMs, 2)}`);

  const long = await runMaestro(sequentialWorkflow(LONG, service.url), 4);
  const longGaps = gaps(long.times);
  const around = (i: number) => {
    const window = longGaps.slice(Math.max(0, i - 5), i + 5);
    return window.reduce((a, b) => a + b, 0) / window.length;
  };
  const early = around(10);
  const late = around(LONG - 10);
  console.log(`\nLong run, ${LONG} sequential steps: per-step overhead stays flat?`);
  console.log(`  around step 10:    ${fmt(early, 3)} ms`);
  console.log(`  around step ${LONG - 10}: ${fmt(late, 3)} ms`);
  console.log(`  ratio late/early:  ${fmt(late / early, 2)}`);
  console.log(`  whole run: ${fmt((LONG / long.wallMs) * 1000, 0)} steps/s`);

  // The same run, its card number marked sensitive, with and without sealing at rest.
  const cards = sensitiveWorkflow(STEPS, service.url);
  // Polled rarely: every poll loads (and opens) the whole run, which is not the steps' cost.
  const input = { card: "4111111111111111" };
  await runMaestro(cards, 4, { input, sealed: true, pollMs: 100 });
  const clear = await runMaestro(cards, 4, { input, pollMs: 100 });
  const sealed = await runMaestro(cards, 4, { input, sealed: true, pollMs: 100 });
  console.log(`\nSealing sensitive values at rest, ${STEPS} steps sending a sensitive card number`);
  console.log(`  clear:  ${fmt((STEPS / clear.wallMs) * 1000, 0)} steps/s`);
  console.log(`  sealed: ${fmt((STEPS / sealed.wallMs) * 1000, 0)} steps/s`);
  console.log(`  ratio sealed/clear throughput: ${fmt(clear.wallMs / sealed.wallMs, 2)}`);
  console.log(
    `  sealing CPU per step: ${fmt((sealed.cpuMs - clear.cpuMs) / STEPS, 3)} ms; store loads beyond the runtime's: ${sealed.extraLoads} in ${STEPS} steps`,
  );
} finally {
  await service.close();
}

try {
  const { awsBench } = await import("./aws-bench.js");
  await awsBench();
} catch (error) {
  // No Java on this machine: DynamoDB Local cannot start; the local figures still stand.
  console.log(`\nAWS path skipped: ${(error as Error).message}`);
}
