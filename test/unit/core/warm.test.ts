import { describe, expect, it } from "vitest";
import type { Backend } from "../../../core/ports/backend.ts";
import { MAX_WARM_PER_TICK, warmRuns } from "../../../core/runs/warm.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeBackend, makeDeps } from "../fakes/ports.ts";

class WarmingBackend extends FakeBackend {
  warmed: { command: string | null; flowRunId: string }[] = [];
  failWarm: Error | null = null;
  async warm(request: { command: string | null }, ctx: { flowRun: { id: string } }) {
    if (this.failWarm) throw this.failWarm;
    this.warmed.push({ command: request.command, flowRunId: ctx.flowRun.id });
  }
}

function setup() {
  const api = new FakePrefect();
  const pool = api.addPool("pool");
  const backend = new WarmingBackend();
  const { deps } = makeDeps(api, { backends: new Map([["process", backend as Backend]]) });
  return { api, pool, backend, deps };
}

describe("warming the runs a tick enqueued", () => {
  it("prepares one request per distinct deployment and job variables, rendered as the dispatch would", async () => {
    const { api, pool, backend, deps } = setup();
    const a = api.addDeployment("pool", { command: "run a" });
    const b = api.addDeployment("pool", { command: "run b" });
    const runs = [
      api.addRun(a),
      api.addRun(a),
      api.addRun(a, undefined, { job_variables: { command: "override" } }),
      api.addRun(b),
    ];
    expect(await warmRuns(pool, runs, deps)).toBe(3);
    expect(backend.warmed.map((w) => w.command)).toEqual(["run a", "override", "run b"]);
    expect(backend.submits).toEqual([]); // nothing started
  });

  it("warms at most MAX_WARM_PER_TICK specs per call", async () => {
    const { api, pool, backend, deps } = setup();
    const runs = Array.from({ length: MAX_WARM_PER_TICK + 5 }, (_, i) =>
      api.addRun(api.addDeployment("pool", { command: `c${i}` })),
    );
    expect(await warmRuns(pool, runs, deps)).toBe(MAX_WARM_PER_TICK);
    expect(backend.warmed).toHaveLength(MAX_WARM_PER_TICK);
  });

  it("never fails: a backend error or a deleted deployment is skipped", async () => {
    const { api, pool, backend, deps } = setup();
    const dep = api.addDeployment("pool");
    const run = api.addRun(dep);
    backend.failWarm = new Error("ECS throttled");
    expect(await warmRuns(pool, [run], deps)).toBe(0);
    backend.failWarm = null;
    api.deployments.delete(dep.id);
    expect(await warmRuns(pool, [run], deps)).toBe(0);
    expect(backend.warmed).toEqual([]);
  });

  it("does nothing for a backend without warm", async () => {
    const api = new FakePrefect();
    const pool = api.addPool("pool");
    const { deps, backend } = makeDeps(api);
    expect(await warmRuns(pool, [api.addRun(api.addDeployment("pool"))], deps)).toBe(0);
    expect(backend.submits).toEqual([]);
  });
});
