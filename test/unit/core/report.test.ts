import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/ports/logger.ts";
import { reportExit } from "../../../core/runs/report.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";

function setup(type: "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLING" | "PAUSED") {
  const api = new FakePrefect();
  api.addPool("pool");
  const run = api.addRun(api.addDeployment("pool"), new Date(), { infrastructure_pid: "h:1" });
  run.state = { id: "s", type, name: type, state_details: {} };
  run.state_type = type;
  return { api, run, deps: { api, logger: silentLogger } };
}

describe("reportExit", () => {
  it("crashes a running run on a non-zero exit", async () => {
    const { api, run, deps } = setup("RUNNING");
    expect(await reportExit({ flowRunId: run.id, pid: "h:1", exitCode: 1 }, deps)).toBe("crashed");
    expect(api.runs.get(run.id)?.state?.message).toMatch(
      /^Flow run infrastructure exited with non-zero status code 1\./,
    );
  });

  it.each(["COMPLETED", "FAILED", "PAUSED", "CANCELLING"] as const)(
    "never proposes over %s",
    async (type) => {
      const { api, run, deps } = setup(type);
      expect(await reportExit({ flowRunId: run.id, pid: "h:1", exitCode: 1 }, deps)).toBe("untouched");
      expect(api.runs.get(run.id)?.state_type).toBe(type);
    },
  );

  it("crashes a Pending run whose process exited 0 without ever starting the flow", async () => {
    const { run, deps } = setup("PENDING");
    expect(await reportExit({ flowRunId: run.id, pid: "h:1", exitCode: 0 }, deps)).toBe("crashed");
  });

  it("ignores an exit of infrastructure that is not the run's current one", async () => {
    const { run, deps } = setup("RUNNING");
    expect(await reportExit({ flowRunId: run.id, pid: "h:2", exitCode: 1 }, deps)).toBe("untouched");
  });
});
