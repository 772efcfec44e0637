/**
 * A pid the backend cannot judge — a process another host started, or one Prefect's own process
 * worker started (a bare number) — is `foreign`: reconcile leaves its run to whoever started it.
 * (It read "gone" before, and a local stack serving a pool that a Prefect process worker also
 * serves crashed that worker's runs: test/e2e/stateParity.test.ts.)
 */
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { LocalBackend } from "../../../core/backends/process/index.ts";
import { reconcile } from "../../../core/runs/reconcile.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

describe("a foreign pid", () => {
  it("the process backend tells another host's or Prefect's worker's pid from one of its own", async () => {
    const backend = new LocalBackend();
    const state = async (pid: string) => (await backend.inspect(pid)).state;
    expect(await state("31337")).toBe("foreign");
    expect(await state(`not-${hostname()}:31337`)).toBe("foreign");
    // Of this host but not running, or no process pid at all: gone.
    expect(await state(`${hostname()}:999999999`)).toBe("gone");
    expect(await state("garbage")).toBe("gone");
    expect(await state("")).toBe("gone");
  });

  it("reconcile leaves a Pending or Running run with a foreign pid as it is", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const { deps, backend, clock } = makeDeps(api);
    const runs = [api.addRun(dep, clock.now()), api.addRun(dep, clock.now())];
    for (const [i, run] of runs.entries()) {
      await api.setState(run.id, { type: i ? "RUNNING" : "PENDING", name: i ? "Running" : "Pending" });
      await api.setInfrastructurePid(run.id, `${31337 + i}`);
      backend.status.set(`${31337 + i}`, { state: "foreign", reason: "not this host's" });
    }
    clock.t += 3_600_000;
    const results = await reconcile(["pool"], deps);
    expect(results.map((r) => r.action)).toEqual(["none", "none"]);
    expect(runs.map((r) => api.runs.get(r.id)?.state?.type)).toEqual(["PENDING", "RUNNING"]);
  });
});
