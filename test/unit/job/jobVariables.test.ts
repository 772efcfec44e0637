import { describe, expect, it } from "vitest";
import { mergeJobVariables } from "../../../core/job/jobVariables.ts";

describe("mergeJobVariables (deployment job variables, then the run's)", () => {
  it("layers the flow run's env key by key and replaces other keys whole", () => {
    const deployment = { env: { A: "1", B: "2" }, image: "d", nested: { x: 1, y: 2 } };
    const flowRun = { env: { B: "run", C: null }, nested: { x: 9 } };
    expect(mergeJobVariables(deployment, flowRun)).toEqual({
      env: { A: "1", B: "run", C: null },
      image: "d",
      nested: { x: 9 },
    });
    expect(deployment.env).toEqual({ A: "1", B: "2" }); // inputs untouched
    expect(flowRun).toHaveProperty("env");
  });

  it("replaces env whole when the deployment's env is not a dict", () => {
    expect(mergeJobVariables({ env: "{{ x }}" }, { env: { A: "1" } })).toEqual({ env: { A: "1" } });
    expect(mergeJobVariables(null, { env: { A: "1" } })).toEqual({ env: { A: "1" } });
    expect(mergeJobVariables({ cpu: 1 }, null)).toEqual({ cpu: 1 });
    expect(mergeJobVariables(undefined, undefined)).toEqual({});
  });

  it("keeps dotted keys for the template step", () => {
    expect(mergeJobVariables({ env: { FOO: "dep" } }, { "env.FOO": "run" })).toEqual({
      env: { FOO: "dep" },
      "env.FOO": "run",
    });
  });
});
