/**
 * core/runs/cleanup.ts: finished infrastructure removed through `Backend.cleanup`, by the tick
 * (one query per pool whose backend can clean up, none otherwise) and by a stop event once the run
 * is final; once per pid per instance; a transient failure left to the next tick.
 */
import { describe, expect, it } from "vitest";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { Backend } from "../../../core/ports/backend.ts";
import type { StateType } from "../../../core/prefect/types.ts";
import { CLEANUP_WINDOW_TICKS, cleanupRun, MAX_CLEANUPS_PER_TICK } from "../../../core/runs/cleanup.ts";
import { handleInfraEvent, type InfraEvent } from "../../../core/runs/infraEvents.ts";
import { tick } from "../../../core/runs/tick.ts";
import { InfrastructureNotFoundError, TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeBackend, makeDeps } from "../fakes/ports.ts";

/** A backend that removes what it started; a configuration whose command is "keep" keeps it. */
class CleaningBackend extends FakeBackend {
  cleaned: { pid: string; command: string | null; flowRunId: string }[] = [];
  kept: string[] = [];
  /** What the next cleanups throw, one each. */
  failures: Error[] = [];
  async cleanup(pid: string, config: JobConfiguration, ctx: { flowRun: { id: string } }) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (config.command === "keep") {
      this.kept.push(pid);
      return;
    }
    this.cleaned.push({ pid, command: config.command, flowRunId: ctx.flowRun.id });
  }
}

const TICK = { pools: ["pool"], tickSeconds: 60, horizonSeconds: 120 };

function setup(backend: FakeBackend = new CleaningBackend()) {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool", { command: "flow go" });
  const { deps, clock } = makeDeps(api, { backends: new Map([["process", backend as Backend]]) });
  /** A run of the deployment that reached `type` now, with `pid` recorded. */
  const finished = async (type: StateType = "COMPLETED", pid: string | null = "pid-a", d = dep) => {
    const run = api.addRun(d, new Date(clock.t - 120_000), { infrastructure_pid: pid });
    await api.setState(run.id, { type, name: type.toLowerCase() }, true);
    return run;
  };
  const later = (seconds: number) => {
    clock.t += seconds * 1000;
  };
  const cleanupQueries = () => api.filters.filter((f) => f.endTimeAfter !== undefined);
  return { api, dep, deps, clock, backend, finished, later, cleanupQueries };
}

describe("the tick removes finished infrastructure", () => {
  it("cleans each final state's pid once, with the configuration the dispatch rendered", async () => {
    const { deps, backend, finished, later } = setup();
    const runs = [
      await finished("COMPLETED", "pid-c"),
      await finished("FAILED", "pid-f"),
      await finished("CRASHED", "pid-x"),
      await finished("CANCELLED", "pid-k"),
    ];
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0, cleaned: 4 }]);
    const cleaned = (backend as CleaningBackend).cleaned;
    expect(cleaned.map((c) => c.pid).sort()).toEqual(["pid-c", "pid-f", "pid-k", "pid-x"]);
    expect(cleaned.map((c) => c.flowRunId).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(cleaned.every((c) => c.command === "flow go")).toBe(true); // the deployment's job variables
    later(60);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0 }]);
    expect(cleaned).toHaveLength(4); // remembered: not cleaned twice
  });

  it("cleans at most MAX_CLEANUPS_PER_TICK runs a tick; the rest on the next", async () => {
    const backend = new CleaningBackend();
    const { deps, finished, later } = setup(backend);
    for (let i = 0; i <= MAX_CLEANUPS_PER_TICK; i++) await finished("COMPLETED", `pid-${i}`);
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0, cleaned: MAX_CLEANUPS_PER_TICK }]);
    later(60);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0, cleaned: 1 }]);
    expect(new Set(backend.cleaned.map((c) => c.pid)).size).toBe(MAX_CLEANUPS_PER_TICK + 1);
  });

  it("asks Prefect once per tick for final runs of the pool that ended within the window", async () => {
    const { deps, clock, later, cleanupQueries } = setup();
    later(5);
    await tick(TICK, deps);
    expect(cleanupQueries()).toEqual([
      {
        workPoolNames: ["pool"],
        stateTypes: ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"],
        endTimeAfter: new Date(clock.t - CLEANUP_WINDOW_TICKS * 60_000),
        limit: 200,
      },
    ]);
  });

  it("leaves runs that are not final, have no pid, ended too long ago or belong to another pool", async () => {
    const { api, deps, backend, finished, later } = setup();
    await finished("COMPLETED", "pid-old");
    later(CLEANUP_WINDOW_TICKS * 60 + 1); // out of the window
    await finished("RUNNING", "pid-running");
    await finished("COMPLETED", null);
    api.addPool("other");
    await finished("COMPLETED", "pid-other", api.addDeployment("other"));
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0 }]);
    expect((backend as CleaningBackend).cleaned).toEqual([]);
  });

  it("waits a tick after the run ended: its container may still be on its way out", async () => {
    const { deps, backend, finished, later } = setup();
    await finished();
    later(30);
    await tick(TICK, deps);
    expect((backend as CleaningBackend).cleaned).toEqual([]);
    later(31);
    await tick(TICK, deps);
    expect((backend as CleaningBackend).cleaned.map((c) => c.pid)).toEqual(["pid-a"]);
  });

  it("leaves a transient failure to the next tick, and takes 'already gone' as done", async () => {
    const backend = new CleaningBackend();
    const { deps, finished, later } = setup(backend);
    await finished("COMPLETED", "pid-t");
    backend.failures.push(new TransientError("throttled", 2));
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0 }]); // never throws into the tick
    expect(backend.cleaned).toEqual([]);
    later(60);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0, cleaned: 1 }]);
    expect(backend.cleaned.map((c) => c.pid)).toEqual(["pid-t"]);

    await finished("COMPLETED", "pid-gone");
    backend.failures.push(new InfrastructureNotFoundError("no such job"));
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0, cleaned: 1 }]);
    backend.failures.push(new Error("must not be called again"));
    later(60);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0 }]);
    expect(backend.failures).toHaveLength(1);
  });

  it("a query that fails costs the tick nothing", async () => {
    const { api, deps, finished, later } = setup();
    await finished();
    api.filterFlowRuns = async () => {
      throw new TransientError("503", 1);
    };
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0 }]);
  });

  it("whether to keep the infrastructure is the backend's business: core hands it the configuration", async () => {
    const backend = new CleaningBackend();
    const { api, deps, finished, later } = setup(backend);
    await finished("COMPLETED", "pid-kept", api.addDeployment("pool", { command: "keep" }));
    later(61);
    await tick(TICK, deps);
    expect(backend.kept).toEqual(["pid-kept"]);
    later(60);
    await tick(TICK, deps);
    expect(backend.kept).toEqual(["pid-kept"]); // asked once
  });

  it("leaves the infrastructure of a run whose deployment was deleted (its variables may keep it)", async () => {
    const { api, dep, deps, backend, finished, later } = setup();
    await finished();
    api.deployments.delete(dep.id);
    later(61);
    await tick(TICK, deps);
    expect((backend as CleaningBackend).cleaned).toEqual([]);
  });

  it("sends no extra request for a pool whose backend has no cleanup", async () => {
    const { api, deps, finished, later } = setup(new FakeBackend());
    await finished();
    later(61);
    expect(await tick(TICK, deps)).toEqual([{ pool: "pool", enqueued: 0 }]);
    expect(api.calls.filter((c) => c === "filterFlowRuns")).toEqual([]);
    expect(api.calls.filter((c) => c.startsWith("readFlowRun"))).toEqual([]);
  });
});

describe("a stop event removes the infrastructure of a run now final", () => {
  const stopped = (flowRunId: string, pid: string, exitCode: number): InfraEvent => ({
    source: "process",
    flowRunId,
    pid,
    altPids: [],
    phase: "stopped",
    status: "STOPPED",
    createdAt: null,
    exit: { exitCode, reason: "" },
    crashed: exitCode !== 0,
    diagnosis: null,
  });

  it("after the report: a crash it reported, or an end the flow reported", async () => {
    const backend = new CleaningBackend();
    const { api, dep, deps } = setup(backend);
    const events = { api, logger: deps.logger, backend, cleanup: deps };
    const running = api.addRun(dep, undefined, { infrastructure_pid: "pid-r" });
    await api.setState(running.id, { type: "RUNNING", name: "Running" }, true);
    expect((await handleInfraEvent(stopped(running.id, "pid-r", 1), events)).outcome).toBe("crashed");
    const completed = await finished(api, dep, "pid-c");
    await handleInfraEvent(stopped(completed.id, "pid-c", 0), events);
    expect(backend.cleaned.map((c) => c.pid)).toEqual(["pid-r", "pid-c"]);
    await handleInfraEvent(stopped(completed.id, "pid-c", 0), events); // a redelivered event
    expect(backend.cleaned).toHaveLength(2);
    expect(await cleanupRun(completed.id, deps)).toBe("skipped"); // remembered for the tick too
  });

  it("not while the run is not final, nor when the runtime does not ask for it", async () => {
    const backend = new CleaningBackend();
    const { api, dep, deps } = setup(backend);
    const running = api.addRun(dep, undefined, { infrastructure_pid: "pid-r" });
    await api.setState(running.id, { type: "RUNNING", name: "Running" }, true);
    const events = { api, logger: deps.logger, backend };
    await handleInfraEvent(stopped(running.id, "pid-r", 0), { ...events, cleanup: deps });
    expect((await api.readFlowRun(running.id))?.state?.type).toBe("RUNNING");
    const completed = await finished(api, dep, "pid-c");
    await handleInfraEvent(stopped(completed.id, "pid-c", 0), events);
    expect(backend.cleaned).toEqual([]);
  });

  it("a failing cleanup never fails the event", async () => {
    const backend = new CleaningBackend();
    const { api, dep, deps } = setup(backend);
    const completed = await finished(api, dep, "pid-c");
    backend.failures.push(new Error("Cloud API down"));
    const events = { api, logger: deps.logger, backend, cleanup: deps };
    expect(await handleInfraEvent(stopped(completed.id, "pid-c", 0), events)).toEqual({
      outcome: "ignored",
      reason: "run left as it is",
    });
    expect(await cleanupRun(completed.id, deps)).toBe("cleaned"); // not remembered: tried again
  });
});

async function finished(api: FakePrefect, dep: ReturnType<FakePrefect["addDeployment"]>, pid: string) {
  const run = api.addRun(dep, undefined, { infrastructure_pid: pid });
  await api.setState(run.id, { type: "COMPLETED", name: "Completed" }, true);
  return run;
}
