/**
 * @module
 * The backend conformance suite: one set of cases every {@link Backend} must pass unchanged (ECS,
 * process today; Cloud Run, Vertex, ACI later), each through a small per-backend harness
 * ({@link BackendHarness}). It drives core's own start-once protocol (core/backends/startOnce.ts)
 * on the backend's primitives, and checks what core reads back: one piece of infrastructure per
 * claim whatever the deliveries and failures, `inspect` for every terminal state, `kill` of what is
 * not there, and the crash messages core/runs/report.ts builds from an inspected status.
 *
 * A harness declares what it cannot show (its limits) in its file's header and in the suite's name.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartOnceOptions, submitOnce } from "../../../core/backends/startOnce.ts";
import { submitToken } from "../../../core/backends/token.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import { type Backend, type BackendContext, type InfraStatus, samePid } from "../../../core/ports/backend.ts";
import { systemClock } from "../../../core/ports/clock.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { FlowRun } from "../../../core/prefect/types.ts";
import { VariableLease } from "../../../core/prefect/variableLease.ts";
import { InfrastructureNotFoundError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../../unit/fakes/fakePrefect.ts";
import { crashMessageOf } from "./crashMessage.ts";

// biome-ignore lint/suspicious/noExplicitAny: the suite is generic over a backend's request and launch types
export type AnyBackend = Backend<any, any>;

/** A job for a new flow run: its configuration and backend context. */
export interface Job {
  config: JobConfiguration;
  ctx: BackendContext;
}

export interface BackendHarness {
  /** A backend instance, as a new function instance makes it. */
  readonly backend: AnyBackend;
  /**
   * Another instance that shares with the others only what a new function instance would: the
   * cloud. A type without a shared cloud may return `backend` itself (say so in `limits`).
   */
  cold(): AnyBackend;
  /** A valid job for a new flow run, whose infrastructure runs until {@link finish} ends it. */
  newJob(): Promise<Job>;
  /** The next start (of any instance) is applied, then fails with an error the backend calls ambiguous. */
  failNextStartAmbiguously(): void;
  /** Pieces of infrastructure started so far in this harness's world (by any instance). */
  count(): Promise<number>;
  /** Ends the infrastructure behind `pid` with `exitCode`. */
  finish(job: Job, pid: string, exitCode: number): Promise<void>;
  /** A pid well-formed for this type that names nothing. */
  unknownPid(): string;
  /** A resumed claim's settle wait here: longer than one start of this type takes on a busy machine. */
  readonly settleMs: number;
  teardown(): Promise<void>;
}

/** A flow run freshly claimed (Pending), for a harness's {@link BackendHarness.newJob}. */
export function newFlowRun(): FlowRun {
  const id = randomUUID();
  return {
    id,
    name: `conformance-${id.slice(0, 8)}`,
    flow_id: "0b9d6a6c-0000-4000-8000-00000000f10e",
    deployment_id: "d0000000-0000-4000-8000-000000000001",
    state_type: "PENDING",
    state_name: "Pending",
    state: null,
    parameters: {},
    job_variables: {},
    tags: [],
    infrastructure_pid: null,
    expected_start_time: null,
    next_scheduled_start_time: null,
    start_time: null,
    empirical_policy: {},
  };
}

/** Claims delivered at once in the concurrency case: one fresh, the others resumed. */
const DELIVERIES = 5;
/** How long a finished piece of infrastructure may take to read as finished. */
const FINISH_MS = 15_000;

function options(o: Partial<StartOnceOptions> & { settleMs: number }): StartOnceOptions {
  return {
    resumed: false,
    claimedAt: Date.now(),
    now: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: () => 0,
    logger: silentLogger,
    ...o,
  };
}

async function submit(
  backend: AnyBackend,
  job: Job,
  token: string,
  o: Partial<StartOnceOptions> & { settleMs: number },
) {
  return await submitOnce(backend, backend.prepare(job.config, job.ctx), token, job.ctx, options(o));
}

/** Polls `inspect` until the infrastructure no longer reads pending or running. */
async function settled(backend: AnyBackend, job: Job, pid: string): Promise<InfraStatus> {
  const deadline = Date.now() + FINISH_MS;
  for (;;) {
    const status = await backend.inspect(pid, job.config, job.ctx);
    if (status.state !== "pending" && status.state !== "running") return status;
    if (Date.now() > deadline) throw new Error(`${pid} still ${status.state} after ${FINISH_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Prefect's form (prefect/workers/base.py, 3.9.1): "…non-zero status code <code>. <explanation>". */
const nonZero = (code: number) => `Flow run infrastructure exited with non-zero status code ${code}. `;

export function describeBackendConformance(name: string, makeHarness: () => Promise<BackendHarness>): void {
  describe(`backend conformance: ${name}`, () => {
    let h: BackendHarness;
    const token = () => submitToken(randomUUID(), randomUUID());

    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h?.teardown();
    });

    it(`${DELIVERIES} deliveries of one claim at once (1 fresh, the rest resumed on cold instances) start one piece`, async () => {
      const job = await h.newJob();
      const claim = token();
      const claimedAt = Date.now();
      const results = await Promise.all(
        Array.from({ length: DELIVERIES }, (_, i) =>
          i === 0
            ? submit(h.backend, job, claim, { claimedAt, settleMs: h.settleMs })
            : submit(h.cold(), job, claim, { resumed: true, claimedAt, settleMs: h.settleMs }),
        ),
      );
      expect(await h.count()).toBe(1);
      const [first] = results;
      for (const r of results) expect(samePid(h.backend, r.pid, first?.pid ?? "")).toBe(true);
      expect(results.filter((r) => !r.adopted)).toHaveLength(1);
    });

    it(`${DELIVERIES} deliveries resuming one old claim at once (its claimer died) start one piece, under the start lease`, async () => {
      const job = await h.newJob();
      const claim = token();
      const claimedAt = Date.now() - h.settleMs - 1_000;
      const lease = new VariableLease(new FakePrefect(), systemClock);
      const results = await Promise.all(
        Array.from({ length: DELIVERIES }, () =>
          submit(h.cold(), job, claim, { resumed: true, claimedAt, settleMs: h.settleMs, lease }),
        ),
      );
      expect(await h.count()).toBe(1);
      const [first] = results;
      for (const r of results) expect(samePid(h.backend, r.pid, first?.pid ?? "")).toBe(true);
      expect(results.filter((r) => !r.adopted)).toHaveLength(1);
    });

    it("a start that fails ambiguously after it was applied is adopted, not repeated", async () => {
      const job = await h.newJob();
      h.failNextStartAmbiguously();
      const result = await submit(h.backend, job, token(), { settleMs: h.settleMs });
      expect(result.adopted).toBe(true);
      expect(await h.count()).toBe(1);
      expect((await h.backend.inspect(result.pid, job.config, job.ctx)).state).toMatch(/^(pending|running)$/);
    });

    it("a resumed claim on a cold instance adopts what the first delivery started", async () => {
      const job = await h.newJob();
      const claim = token();
      const first = await submit(h.backend, job, claim, { settleMs: h.settleMs });
      expect(first.adopted).toBe(false);
      const resumed = await submit(h.cold(), job, claim, {
        resumed: true,
        claimedAt: Date.now() - 10 * h.settleMs,
        settleMs: h.settleMs,
      });
      expect(resumed.adopted).toBe(true);
      expect(samePid(h.backend, resumed.pid, first.pid)).toBe(true);
      expect(await h.count()).toBe(1);
    });

    it("the next claim (a new token) starts a second piece, resumed or not", async () => {
      const job = await h.newJob();
      const first = await submit(h.backend, job, token(), { settleMs: h.settleMs });
      const second = await submit(h.backend, job, token(), { settleMs: h.settleMs });
      const third = await submit(h.cold(), job, token(), {
        resumed: true,
        claimedAt: Date.now() - 10 * h.settleMs,
        settleMs: h.settleMs,
      });
      expect([second.adopted, third.adopted]).toEqual([false, false]);
      expect(samePid(h.backend, first.pid, second.pid)).toBe(false);
      expect(samePid(h.backend, second.pid, third.pid)).toBe(false);
      expect(await h.count()).toBe(3);
    });

    it("inspect: an unknown or garbage pid is gone", async () => {
      const job = await h.newJob();
      for (const pid of [h.unknownPid(), "garbage", ""])
        expect((await h.backend.inspect(pid, job.config, job.ctx)).state, pid).toBe("gone");
    });

    it("kill: an unknown or garbage pid throws InfrastructureNotFoundError", async () => {
      const job = await h.newJob();
      for (const pid of [h.unknownPid(), "garbage"])
        await expect(h.backend.kill(pid, job.config, 1, job.ctx), pid).rejects.toBeInstanceOf(
          InfrastructureNotFoundError,
        );
    });

    it("kill: a finished pid stays finished — a no-op or InfrastructureNotFoundError, never an error to retry", async () => {
      // Clouds differ here (ECS accepts StopTask on a stopped task; a process that exited is gone):
      // either answer lets reconcile mark the run Cancelled.
      const job = await h.newJob();
      const { pid } = await submit(h.backend, job, token(), { settleMs: h.settleMs });
      await h.finish(job, pid, 0);
      await settled(h.backend, job, pid);
      const outcome = await h.backend.kill(pid, job.config, 1, job.ctx).then(
        () => "stopped",
        (error: unknown) => (error instanceof InfrastructureNotFoundError ? "not found" : error),
      );
      expect(["stopped", "not found"]).toContain(outcome);
      expect((await h.backend.inspect(pid, job.config, job.ctx)).state).toBe("succeeded");
    });

    it("exit 0 → succeeded; no crash for a run that ran, Crashed for one still Pending", async () => {
      const job = await h.newJob();
      const { pid } = await submit(h.backend, job, token(), { settleMs: h.settleMs });
      expect((await h.backend.inspect(pid, job.config, job.ctx)).state).toMatch(/^(pending|running)$/);
      await h.finish(job, pid, 0);
      const status = await settled(h.backend, job, pid);
      expect(status).toMatchObject({ state: "succeeded", exitCode: 0 });
      expect(await crashMessageOf(status, pid, "RUNNING")).toBeNull();
      expect(await crashMessageOf(status, pid, "PENDING")).toBe(
        "Flow run infrastructure exited with status code 0 before the flow run started.",
      );
    });

    it("exit 1 → failed with exit code 1; Crashed with Prefect's non-zero status message", async () => {
      const job = await h.newJob();
      const { pid } = await submit(h.backend, job, token(), { settleMs: h.settleMs });
      await h.finish(job, pid, 1);
      const status = await settled(h.backend, job, pid);
      expect(status).toMatchObject({ state: "failed", exitCode: 1 });
      const message = await crashMessageOf(status, pid, "RUNNING");
      expect(message?.startsWith(nonZero(1))).toBe(true);
      expect(message?.length).toBeGreaterThan(nonZero(1).length);
    });

    it("gone → Crashed: stopped without an exit code, with the backend's reason", async () => {
      const job = await h.newJob();
      const pid = h.unknownPid();
      const status = await h.backend.inspect(pid, job.config, job.ctx);
      expect(status.state).toBe("gone");
      const message = await crashMessageOf(status, pid, "RUNNING");
      expect(message?.startsWith("Flow run infrastructure stopped without an exit code.")).toBe(true);
      if (status.reason) expect(message).toContain(status.reason);
    });
  });
}
