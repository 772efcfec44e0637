/** The worker labels are cosmetic: a 503 on them is a debug line, not a warning in an ordinary run. */
import { describe, expect, it } from "vitest";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

describe("worker labels that the server refuses", () => {
  it("log at debug, and the run is submitted", async () => {
    const api = new FakePrefect();
    api.addPool("pool");
    const dep = api.addDeployment("pool");
    const lines: string[] = [];
    const at = (level: string) => (message: string) => lines.push(`${level} ${message}`);
    const logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
    const { deps, clock } = makeDeps(api, { logger });
    const run = api.addRun(dep, clock.now());
    api.updateFlowRunLabels = async () => {
      throw new TransientError(
        "Prefect API PATCH /labels → 503: Service Unavailable (gave up after 1 attempt(s))",
      );
    };
    const outcome = await dispatch(
      { v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "test" },
      deps,
    );
    expect(outcome.outcome).toBe("submitted");
    expect(lines).toContain("debug could not label flow run");
    expect(lines.filter((l) => l.startsWith("warn") || l.startsWith("error"))).toEqual([]);
  });
});
