import { describe, expect, it } from "vitest";
import {
  adaptProcessPrepared,
  normalizePosixPath,
  shlexQuote,
} from "../../../core/backends/process/prepare.ts";
import {
  FLOW_RUN_COMMAND,
  type PrepareContext,
  prepareForFlowRun,
  utcIsoformat,
} from "../../../core/job/prepare.ts";
import type { TemplatedJobConfiguration } from "../../../core/job/types.ts";
import type { Deployment, FlowRun } from "../../../core/prefect/types.ts";
import { JobConfigurationError } from "../../../core/template/errors.ts";

const flowRun = {
  id: "run-1",
  name: "dancing-dolphin",
  flow_id: "flow-1",
  deployment_id: "dep-1",
  parameters: { x: 7 },
  job_variables: {},
} as unknown as FlowRun;
const deployment = {
  id: "dep-1",
  name: "nightly",
  flow_id: "flow-1",
  updated: "2026-08-21T14:00:00.123456+02:00",
} as Deployment;
const ctx = (over: Partial<PrepareContext> = {}): PrepareContext => ({
  flowRun,
  deployment,
  flow: { id: "flow-1", name: "etl" },
  pool: { id: "pool-1", name: "pool", type: "ecs" },
  workerName: "pushpool",
  workerId: "w-1",
  prefectVersion: "3.9.1",
  baseEnv: { PREFECT_API_URL: "http://api", PREFECT_API_KEY: "k" },
  env: { TAG: "v1" },
  ...over,
});
const config = (over: Partial<TemplatedJobConfiguration> = {}): TemplatedJobConfiguration => ({
  command: null,
  env: {},
  labels: {},
  name: null,
  ...over,
});

describe("prepareForFlowRun (Prefect's prepare_for_flow_run)", () => {
  it("layers base env, run id, attribution and configured env; nulls delete", () => {
    const out = prepareForFlowRun(
      config({ env: { PREFECT_API_KEY: null, A: "1", PREFECT__FLOW_NAME: "mine" } }),
      ctx(),
    );
    expect(out.env).toEqual({
      PREFECT_API_URL: "http://api",
      PREFECT__FLOW_RUN_ID: "run-1",
      PREFECT__WORKER_ID: "w-1",
      PREFECT__WORKER_NAME: "pushpool",
      PREFECT__FLOW_ID: "flow-1",
      PREFECT__FLOW_NAME: "mine",
      PREFECT__DEPLOYMENT_ID: "dep-1",
      PREFECT__DEPLOYMENT_NAME: "nightly",
      A: "1",
    });
  });

  it("adds attribution only when known", () => {
    const out = prepareForFlowRun(
      config(),
      ctx({ deployment: null, flow: null, workerId: null, flowRun: { ...flowRun, deployment_id: null } }),
    );
    expect(Object.keys(out.env).filter((k) => k.startsWith("PREFECT__"))).toEqual([
      "PREFECT__FLOW_RUN_ID",
      "PREFECT__WORKER_NAME",
      "PREFECT__FLOW_ID",
    ]);
    expect(Object.keys(out.labels)).not.toContain("prefect.io/deployment-id");
  });

  it("sets the prefect.io labels, configured labels last", () => {
    const out = prepareForFlowRun(
      config({ labels: { team: "data", "prefect.io/flow-name": "override" } }),
      ctx(),
    );
    expect(out.labels).toEqual({
      "prefect.io/flow-run-id": "run-1",
      "prefect.io/flow-run-name": "dancing-dolphin",
      "prefect.io/version": "3.9.1",
      "prefect.io/work-pool-name": "pool",
      "prefect.io/work-pool-id": "pool-1",
      "prefect.io/worker-name": "pushpool",
      "prefect.io/flow-id": "flow-1",
      "prefect.io/flow-name": "override",
      "prefect.io/deployment-id": "dep-1",
      "prefect.io/deployment-name": "nightly",
      "prefect.io/deployment-updated": "2026-08-21T12:00:00.123456+00:00",
      team: "data",
    });
  });

  it("renders the name from ctx, falling back to the flow run's name", () => {
    expect(
      prepareForFlowRun(config({ name: "job-{{ ctx.flow.name }}-{{ ctx.flow_run.parameters.x }}" }), ctx())
        .name,
    ).toBe("job-etl-7");
    expect(prepareForFlowRun(config({ name: "a{{ ctx.flow.missing }}b" }), ctx()).name).toBe("ab");
    expect(prepareForFlowRun(config({ name: "{{ ctx.flow.missing }}" }), ctx()).name).toBe(
      "{{ ctx.flow.missing }}",
    );
    expect(prepareForFlowRun(config({ name: "{{ $TAG }}" }), ctx()).name).toBe("v1");
    expect(prepareForFlowRun(config({ name: "{{ ctx.flow_run.parameters.x }}" }), ctx()).name).toBe("7");
    expect(prepareForFlowRun(config({ name: "" }), ctx()).name).toBe("dancing-dolphin");
    expect(prepareForFlowRun(config(), ctx()).name).toBe("dancing-dolphin");
  });

  it("defaults the command", () => {
    expect(prepareForFlowRun(config(), ctx()).command).toBe(FLOW_RUN_COMMAND);
    expect(prepareForFlowRun(config({ command: "python x.py" }), ctx()).command).toBe("python x.py");
  });

  it("applies ProcessJobConfiguration's extras for process pools", () => {
    const process = ctx({
      pool: { id: "p", name: "local", type: "process" },
      adapt: (prepared, c) => adaptProcessPrepared(prepared, c, "/opt/py 3/bin/python"),
    });
    const out = prepareForFlowRun(
      config({ env: { A: "1", TAG: "mine" }, working_dir: "a//b/./c/", stream_output: "no" }),
      process,
    );
    expect(out.command).toBe("'/opt/py 3/bin/python' -m prefect.engine");
    expect(out.env).toMatchObject({ TAG: "mine", A: "1", PREFECT_API_URL: "http://api" });
    expect(out.working_dir).toBe("a/b/c");
    expect(out.stream_output).toBe(false);
    const defaults = prepareForFlowRun(config({ command: "run" }), process);
    expect(defaults).toMatchObject({ command: "run", stream_output: true, working_dir: null });
    expect(() => prepareForFlowRun(config({ stream_output: 2 }), process)).toThrow(JobConfigurationError);
    expect(prepareForFlowRun(config({ env: { TAG: "x" } }), ctx()).env.TAG).toBe("x");
    expect(prepareForFlowRun(config(), ctx()).env).not.toHaveProperty("TAG"); // other pools do not inherit the dispatcher env
  });
});

describe("helpers", () => {
  it("formats deployment.updated like Python's astimezone(UTC).isoformat()", () => {
    expect(utcIsoformat("2026-08-21T12:00:00.123456Z")).toBe("2026-08-21T12:00:00.123456+00:00");
    expect(utcIsoformat("2026-08-21T12:00:00Z")).toBe("2026-08-21T12:00:00+00:00");
    expect(utcIsoformat("2026-08-21T12:00:00.000000+00:00")).toBe("2026-08-21T12:00:00+00:00");
    expect(utcIsoformat("2026-01-01T01:30:00.5-02:30")).toBe("2026-01-01T04:00:00.500000+00:00");
    expect(utcIsoformat("2026-01-01T00:30:00+01:00")).toBe("2025-12-31T23:30:00+00:00");
  });

  it("quotes and normalises like shlex and PurePosixPath", () => {
    expect(shlexQuote("python")).toBe("python");
    expect(shlexQuote("")).toBe("''");
    expect(shlexQuote("it's")).toBe(`'it'"'"'s'`);
    expect(normalizePosixPath("")).toBe(".");
    expect(normalizePosixPath("//srv/x")).toBe("//srv/x");
    expect(normalizePosixPath("///a/")).toBe("/a");
    expect(normalizePosixPath("/x/../y")).toBe("/x/../y");
  });
});
