/**
 * Dispatch from the tick's snapshot of the run (core/runs/runSnapshot.ts): no read of the run
 * when it is still as the tick saw it, and the read path whenever the claim finds it moved on.
 */
import { describe, expect, it } from "vitest";
import { stringifyJson } from "../../../core/prefect/json.ts";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { SNAPSHOT_MAX_AGE_SECONDS, SNAPSHOT_MAX_BYTES } from "../../../core/runs/runSnapshot.ts";
import { isOwnClaim } from "../../../core/runs/states.ts";
import { tick } from "../../../core/runs/tick.ts";
import { trigger } from "../../../core/runs/trigger.ts";
import { type DispatchMessage, parseQueueMessage } from "../../../core/runtime/messages.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

async function setup(extra = {}) {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool", {});
  const env = makeDeps(api);
  const run = api.addRun(dep, new Date(env.clock.now().getTime() + 10_000), extra);
  await tick({ pools: ["pool"], tickSeconds: 60, horizonSeconds: 120 }, env.deps);
  const sent = env.queue.sent.map((s) => s.message);
  expect(sent).toHaveLength(1);
  // Through the queue's wire format, as a consumer receives it.
  const message = parseQueueMessage(stringifyJson(sent[0])) as DispatchMessage;
  env.queue.sent.length = 0;
  env.clock.t += 8_000; // delivered at scheduled − lead
  api.calls.length = 0;
  return { api, dep, run, message, ...env };
}

const kinds = (api: FakePrefect) => api.calls.map((c) => c.split(" ")[0]);

describe("dispatch from the tick's snapshot", () => {
  it("the tick's message carries the run; the dispatch claims without reading it", async () => {
    const { api, run, message, deps, backend } = await setup();
    expect(message.snapshot).toMatchObject({ run: { id: run.id, state: { type: "SCHEDULED" } } });
    const outcome = await dispatch(message, deps);
    expect(outcome).toMatchObject({ outcome: "submitted", resumed: false });
    expect(backend.submits).toHaveLength(1);
    expect(kinds(api)).toEqual([
      "readDeployment",
      "readFlow",
      "readWorkPool",
      "setState",
      "setInfrastructurePid",
      "updateFlowRunLabels",
      "createLogs",
    ]);
  });

  it("a second delivery after the run was submitted reads it and skips", async () => {
    const { api, message, deps, backend } = await setup();
    await dispatch(message, deps);
    api.calls.length = 0;
    const again = await dispatch(message, deps);
    expect(again).toMatchObject({ outcome: "skipped", reason: "run is PENDING" });
    expect(backend.submits).toHaveLength(1);
    expect(kinds(api)).toContain("readFlowRun");
  });

  it("a redelivery reads the run: it never claims a run that finished since from the old snapshot", async () => {
    const { api, run, message, deps, backend, clock } = await setup();
    clock.t += 5_000; // the fake stamps a new run's first state with its scheduled time
    // The first delivery submitted the run, its flow completed, then that invocation died before
    // the message was deleted: the queue delivers it again (attempt 2).
    await dispatch(message, deps, { attempt: 1 });
    for (const type of ["RUNNING", "COMPLETED"] as const) {
      clock.t += 1_000;
      await api.setState(run.id, { type, name: type === "RUNNING" ? "Running" : "Completed" });
    }
    clock.t += 1_000;
    api.calls.length = 0;
    const again = await dispatch(message, deps, { attempt: 2 });
    expect(again).toMatchObject({ outcome: "skipped", reason: "run is COMPLETED" });
    expect(backend.submits).toHaveLength(1);
    // Prefect accepts a claim over a Completed run without a persisted result: none was proposed.
    expect(kinds(api)).toEqual(["readFlowRun"]);
    expect((await api.readFlowRunStates(run.id)).map((s) => s.type).at(-1)).toBe("COMPLETED");
  });

  it("a redelivery after a crash between claim and submit resumes the claim, once", async () => {
    const { api, run, message, deps, backend } = await setup();
    const crashing = { ...deps, faults: { afterClaim: () => Promise.reject(new Error("boom")) } };
    await expect(dispatch(message, crashing)).rejects.toThrow("boom");
    expect(isOwnClaim(api.runs.get(run.id) as never)).toBe(true);
    expect(await dispatch(message, deps)).toMatchObject({ outcome: "submitted", resumed: true });
    expect(backend.submits).toHaveLength(1);
  });

  it("an in-process retry since the tick: the claim is undone and the run left to its flow process", async () => {
    const { api, run, message, deps, backend, clock } = await setup();
    clock.t += 5_000; // the fake stamps a new run's first state with its scheduled time
    // Since the tick: claimed and run elsewhere, failed, and now waiting for an in-process retry.
    const retryAt = new Date(deps.clock.now().getTime() + 30_000).toISOString();
    const live = api.runs.get(run.id);
    if (!live) throw new Error("no run");
    live.empirical_policy = { retry_type: "in_process" };
    await api.setState(
      run.id,
      { type: "SCHEDULED", name: "AwaitingRetry", message: null, state_details: { scheduled_time: retryAt } },
      true,
    );
    const outcome = await dispatch(message, deps);
    expect(outcome).toMatchObject({
      outcome: "skipped",
      reason: "in-process retry (the flow process owns it)",
    });
    expect(backend.submits).toHaveLength(0);
    expect(api.runs.get(run.id)?.state).toMatchObject({ type: "SCHEDULED", name: "AwaitingRetry" });
    expect(api.runs.get(run.id)?.state?.state_details?.scheduled_time).toBe(retryAt);
  });

  it("a run rescheduled since the tick is read and claimed again from its new state", async () => {
    const { api, run, message, deps, backend, clock } = await setup();
    clock.t += 5_000; // the fake stamps a new run's first state with its scheduled time
    const later = new Date(deps.clock.now().getTime() + 5_000).toISOString();
    await api.setState(
      run.id,
      { type: "SCHEDULED", name: "Scheduled", message: null, state_details: { scheduled_time: later } },
      true,
    );
    const outcome = await dispatch(message, deps);
    expect(outcome).toMatchObject({ outcome: "submitted" });
    expect(backend.submits).toHaveLength(1);
    expect(api.runs.get(run.id)?.state?.state_details?.scheduled_time).toBe(later);
    expect(kinds(api).filter((k) => k === "setState").length).toBeGreaterThanOrEqual(3); // claim, undo, claim
  });

  it("a run deleted since the tick is skipped as not found", async () => {
    const { api, run, message, deps, backend } = await setup();
    api.runs.delete(run.id);
    expect(await dispatch(message, deps)).toMatchObject({ outcome: "skipped", reason: "flow run not found" });
    expect(backend.submits).toHaveLength(0);
  });

  it(`a snapshot ${SNAPSHOT_MAX_AGE_SECONDS} s old is not used: the run is read`, async () => {
    const { api, message, deps, clock } = await setup();
    clock.t += SNAPSHOT_MAX_AGE_SECONDS * 1000;
    expect(await dispatch(message, deps)).toMatchObject({ outcome: "submitted" });
    expect(kinds(api)[0]).toBe("readFlowRun");
  });

  it("a malformed snapshot, or one of another run, is ignored with a warning: the message is kept", async () => {
    const { api, message, deps, backend } = await setup();
    const warnings: string[] = [];
    const logger = { ...deps.logger, warn: (m: string) => void warnings.push(m) };
    const seen = message.snapshot as { readAt: string; run: object };
    const other = { ...message, snapshot: { ...seen, run: { ...seen.run, id: crypto.randomUUID() } } };
    const broken = { ...message, snapshot: { readAt: "yesterday", run: {} } };
    const notAnObject = { ...message, snapshot: "the run" };
    for (const m of [other, broken, notAnObject]) {
      const parsed = parseQueueMessage(stringifyJson(m)) as DispatchMessage;
      api.calls.length = 0;
      await dispatch(parsed, { ...deps, logger });
      expect(kinds(api)[0]).toBe("readFlowRun");
    }
    expect(warnings).toEqual(Array(3).fill("snapshot ignored; reading the run"));
    expect(backend.submits).toHaveLength(1);
  });

  it(`a run larger than ${SNAPSHOT_MAX_BYTES} bytes travels without its snapshot`, async () => {
    const { message } = await setup({ parameters: { blob: "x".repeat(SNAPSHOT_MAX_BYTES) } });
    expect(message.snapshot).toBeUndefined();
  });

  it("job variables come from the snapshot, as Prefect's worker takes them from its poll", async () => {
    const { api, run, message, deps, backend } = await setup({ job_variables: { command: "echo seen" } });
    const live = api.runs.get(run.id);
    if (live) live.job_variables = { command: "echo changed" };
    await dispatch(message, deps);
    expect(backend.submits[0]?.command).toBe("echo seen");
  });

  it("a trigger's dispatch message carries the run Prefect created for it", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool", {});
    const { deps, queue, backend } = makeDeps(api);
    await trigger({ v: 1, kind: "trigger", deployment: dep.id, idempotencyKey: "k1", source: "test" }, deps);
    const sent = queue.sent[0]?.message as DispatchMessage;
    expect(sent.snapshot).toMatchObject({ run: { id: sent.flowRunId, state: { type: "SCHEDULED" } } });
    api.calls.length = 0;
    const outcome = await dispatch(parseQueueMessage(stringifyJson(sent)) as DispatchMessage, deps);
    expect(outcome).toMatchObject({ outcome: "submitted" });
    expect(backend.submits).toHaveLength(1);
    expect(kinds(api)).not.toContain("readFlowRun");
  });
});
