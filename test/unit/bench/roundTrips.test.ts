import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { dispatchTraces, keyDispatches, type Trip, withRunKeys } from "../../../bench/roundTrips.ts";

describe("bench round trips: each dispatch's requests keyed to its run", () => {
  it("keys interleaved dispatches from their start and binds each key to the run it claims", async () => {
    const context = new AsyncLocalStorage<string>();
    const trips: Trip[] = [];
    let clock = 0;
    const request = async (method: string, path: string) => {
      const start = ++clock;
      await new Promise((r) => setTimeout(r, 1));
      trips.push({ method, path, status: 200, start, end: ++clock, key: context.getStore() });
    };
    const api: Record<string, unknown> = {
      prepareWrites: () => {},
      readDeployment: (id: string) => request("GET", `/deployments/${id}`),
      setState: (id: string) => request("POST", `/flow_runs/${id}/set_state`),
      setInfrastructurePid: (id: string) => request("PATCH", `/flow_runs/${id}`),
    };
    const runOf = keyDispatches(api, context, new Map(), "3");
    const call = (name: string, arg: string) => (api[name] as (a: string) => Promise<void>)(arg);
    const dispatch = async (runId: string) => {
      await Promise.resolve();
      (api.prepareWrites as () => void)();
      await call("readDeployment", "dep");
      await call("setState", runId);
      await call("setInfrastructurePid", runId);
    };
    await Promise.all([dispatch("run-a"), dispatch("run-b")]);
    const traces = dispatchTraces(withRunKeys(trips, runOf), 0);
    expect(traces.map((t) => [t.runId, t.requests, t.sequential]).sort()).toEqual([
      ["run-a", 3, 3],
      ["run-b", 3, 3],
    ]);
  });
});
