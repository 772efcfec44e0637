/**
 * The soak (./harness.ts) at CI size: 40 runs through the AWS pipeline on the shared Prefect and
 * moto servers, faults on both proxies, crashes in the dispatcher, canary secrets. Same harness and
 * invariants as `npm run soak`; any violation fails the test with its sentence. moto's task state
 * progression is left as it is (the server is shared), so a task may look STOPPED early: a run
 * then ends Crashed with a reason, which the invariants accept.
 */
import { describe, expect, inject, it } from "vitest";
import { makeCanaries } from "./capture.ts";
import { runSoak } from "./harness.ts";

const SEED = Number(process.env.SOAK_SEED ?? 20_261_128);

describe("soak (CI size)", () => {
  it("40 runs under faults and crashes: none lost, none stuck, one task per claim, no secret leaked", async () => {
    const canaries = makeCanaries();
    const result = await runSoak({
      prefectApiUrl: inject("prefectApiUrl"),
      motoEndpoint: inject("motoEndpoint"),
      seed: SEED,
      runs: 40,
      canaries,
      holdTasks: false,
      spreadSeconds: 4,
      faultTailSeconds: 10,
      // Quiet comes within about 30 s; the cap only bounds a failing run. Stuck after 2 × the start
      // timeout (35 s) + 2 ticks = 80 s without progress.
      quietCapSeconds: 100,
      tickSeconds: 5,
      // Crashed invocations come back sooner, so the CI size stays near a minute; its few
      // triggers rarely meet a busy server, and one that outlasts this is redelivered (idempotent).
      visibilityTimeout: 20,
    });
    console.info(result.table);
    for (const d of result.diagnoses) console.info(d);
    expect(result.violations).toEqual([]);
    expect(result.runs).toBe(40);
    expect(result.canaryHits).toEqual({
      requests: { apiKey: 0, authString: 0, webhookSecret: 0 },
      logs: { apiKey: 0, authString: 0, webhookSecret: 0 },
    });
  }, 200_000);
});
