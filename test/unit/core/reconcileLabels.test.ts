/** The dispatch's labels PATCH is never retried; reconcile labels a submitted run that lacks them. */
import { describe, expect, it } from "vitest";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { reconcile } from "../../../core/runs/reconcile.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

function setup() {
  const api = new FakePrefect();
  const pool = api.addPool("pool");
  const dep = api.addDeployment("pool");
  const env = makeDeps(api);
  const labelled: { id: string; labels: Record<string, string> }[] = [];
  let refuse = true;
  Object.assign(api, {
    updateFlowRunLabels: async (id: string, labels: Record<string, string>) => {
      if (refuse) throw new Error("Prefect API PATCH /labels → 503");
      labelled.push({ id, labels });
      const run = api.runs.get(id);
      if (run) api.runs.set(id, { ...run, labels: { ...run.labels, ...labels } });
    },
  });
  const accept = () => {
    refuse = false;
  };
  return { api, pool, dep, labelled, accept, ...env };
}

describe("reconcile and the worker labels", () => {
  it("labels a submitted run whose labels the server refused, once they land no more", async () => {
    const { api, pool, dep, deps, clock, labelled, accept } = setup();
    const run = api.addRun(dep, clock.now());
    expect(
      await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps),
    ).toMatchObject({ outcome: "submitted" });
    expect(api.runs.get(run.id)?.labels?.["prefect.worker.name"]).toBeUndefined();
    accept();
    await reconcile(["pool"], deps);
    expect(labelled).toEqual([
      {
        id: run.id,
        labels: {
          "prefect.worker.name": deps.workerName,
          "prefect.worker.type": pool.type,
          "prefect.work-pool.name": "pool",
          "prefect.work-pool.id": pool.id,
        },
      },
    ]);
    await reconcile(["pool"], deps);
    expect(labelled).toHaveLength(1);
  });

  it("a refused repair changes nothing else: the run is inspected as usual", async () => {
    const { api, dep, deps, clock, backend } = setup();
    const run = api.addRun(dep, clock.now());
    await dispatch({ v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "t" }, deps);
    backend.status.set(api.runs.get(run.id)?.infrastructure_pid as string, { state: "gone" });
    expect(await reconcile(["pool"], deps)).toMatchObject([{ flowRunId: run.id, action: "crashed" }]);
  });
});
