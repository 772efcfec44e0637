/**
 * The CustomJob build step (core/backends/vertex-ai/customJob.ts), which the parity test cannot
 * compare with the worker's own (`_build_job_spec` needs the Python google-cloud-aiplatform
 * package): each rule below is a line of prefect-gcp 0.6.22's `_build_job_spec` /
 * `prepare_for_flow_run`, cited in the test name.
 */

import aiplatform from "@google-cloud/aiplatform/build/protos/protos.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import {
  buildCustomJobSpec,
  CUSTOM_JOB_SPEC,
  prepareJobSpec,
  STRATEGIES,
} from "../../../core/backends/vertex-ai/customJob.ts";
import type { PlainObject } from "../../../core/shared/plain.ts";

const spec = (extra: PlainObject = {}, pool: PlainObject = {}): PlainObject => ({
  maximum_run_time_hours: 1,
  service_account_name: "sa@p.iam.gserviceaccount.com",
  worker_pool_specs: [
    {
      replica_count: 1,
      container_spec: { image_uri: "img", command: ["prefect", "flow-run", "execute"], args: [] },
      machine_spec: { machine_type: "n1-standard-4" },
      disk_spec: { boot_disk_type: "pd-ssd", boot_disk_size_gb: 100 },
      ...pool,
    },
  ],
  ...extra,
});

describe("buildCustomJobSpec (Prefect's _build_job_spec)", () => {
  it("scheduling with a strategy name is taken whole; the run time sets its timeout", () => {
    const out = buildCustomJobSpec(
      spec({
        scheduling: { strategy: "SPOT", restart_job_on_worker_restart: true, timeout: "5s" },
        maximum_run_time_hours: 3,
      }),
    );
    expect(out.scheduling).toEqual({ strategy: "SPOT", restartJobOnWorkerRestart: true, timeout: "10800s" });
  });

  it("scheduling whose strategy is not a string (or absent) is dropped: `if type(strategy) is str`", () => {
    expect(
      buildCustomJobSpec(spec({ scheduling: { strategy: 6, max_wait_duration: "60s" } })).scheduling,
    ).toEqual({ timeout: "3600s" });
    expect(buildCustomJobSpec(spec({ scheduling: null })).scheduling).toEqual({ timeout: "3600s" });
  });

  it("a strategy name Scheduling.Strategy does not have is refused (Prefect: KeyError)", () => {
    expect(() => buildCustomJobSpec(spec({ scheduling: { strategy: "CHEAP" } }))).toThrow(
      /'CHEAP' is not a Scheduling.Strategy/,
    );
  });

  it("maximum_run_time_hours: fractional hours → a fractional-free duration; a string is refused", () => {
    expect(buildCustomJobSpec(spec({ maximum_run_time_hours: 0.5 })).scheduling).toEqual({
      timeout: "1800s",
    });
    expect(() => buildCustomJobSpec(spec({ maximum_run_time_hours: "2" }))).toThrow(
      /maximum_run_time_hours: Input should be a valid number/,
    );
  });

  it("service_account_name becomes service_account; unknown job_spec keys and nulls are left out", () => {
    const out = buildCustomJobSpec(
      spec({ network: null, bogus: 1, reserved_ip_ranges: ["r"], enable_web_access: false }),
    );
    expect(out.serviceAccount).toBe("sa@p.iam.gserviceaccount.com");
    expect(out).not.toHaveProperty("serviceAccountName");
    expect(out).not.toHaveProperty("network");
    expect(out).not.toHaveProperty("bogus");
    expect(out).not.toHaveProperty("maximumRunTimeHours");
    expect(out.reservedIpRanges).toEqual(["r"]);
    expect(out.enableWebAccess).toBe(false);
  });

  it("a worker pool keeps its four keys (others dropped); nulls inside are left out", () => {
    const out = buildCustomJobSpec(
      spec(
        {},
        {
          nfs_mounts: [{ server: "s" }],
          machine_spec: { machine_type: "m", accelerator_type: null, accelerator_count: null },
        },
      ),
    );
    expect(out.workerPoolSpecs).toEqual([
      {
        containerSpec: { imageUri: "img", command: ["prefect", "flow-run", "execute"], args: [] },
        machineSpec: { machineType: "m" },
        diskSpec: { bootDiskType: "pd-ssd", bootDiskSizeGb: 100 },
        replicaCount: 1,
      },
    ]);
  });

  it("an unknown field inside a worker pool's specs is refused (proto-plus: Unknown field for …)", () => {
    expect(() =>
      buildCustomJobSpec(spec({}, { container_spec: { image_uri: "i", entrypoint: "x" } })),
    ).toThrow(/Unknown field for ContainerSpec: entrypoint/);
    expect(() => buildCustomJobSpec(spec({}, { disk_spec: "pd-ssd" }))).toThrow(
      /valid dictionary for DiskSpec/,
    );
  });

  it("a worker pool without replica_count is refused (Prefect: KeyError)", () => {
    const s = spec();
    delete ((s.worker_pool_specs as PlainObject[])[0] as PlainObject).replica_count;
    expect(() => buildCustomJobSpec(s)).toThrow(/replica_count/);
  });

  it("the field lists are aiplatform v1's", () => {
    const v1 = (aiplatform as unknown as { nested: Record<string, { nested: Record<string, PlainObject> }> })
      .nested.google?.nested.cloud as unknown as {
      nested: {
        aiplatform: {
          nested: {
            v1: { nested: Record<string, { fields?: object; nested?: { Strategy?: { values: object } } }> };
          };
        };
      };
    };
    const types = v1.nested.aiplatform.nested.v1.nested;
    const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    expect(
      Object.keys(types.CustomJobSpec?.fields ?? {})
        .map(snake)
        .sort(),
    ).toEqual([...CUSTOM_JOB_SPEC].sort());
    expect(Object.keys(types.Scheduling?.nested?.Strategy?.values ?? {}).sort()).toEqual(
      [...STRATEGIES].sort(),
    );
  });
});

describe("prepareJobSpec (Prefect's prepare_for_flow_run)", () => {
  const input = (jobSpec: PlainObject, credentialsEmail: string | null = null) => ({
    jobSpec,
    env: { A: "1", PREFECT_API_KEY: "pnu_x" },
    command: null,
    credentialsEmail,
  });

  it("env replaces the template's; a null command is Prefect's, a string is split, a list kept", () => {
    const base = spec(
      {},
      {
        container_spec: {
          image_uri: "i",
          env: [{ name: "OLD", value: "x" }],
          command: "python -m 'my flow'",
        },
      },
    );
    const { jobSpec } = prepareJobSpec(input(base));
    const container = ((jobSpec.worker_pool_specs as PlainObject[])[0] as PlainObject)
      .container_spec as PlainObject;
    expect(container.env).toEqual([
      { name: "A", value: "1" },
      { name: "PREFECT_API_KEY", value: "pnu_x" },
    ]);
    expect(container.command).toEqual(["python", "-m", "my flow"]);
    const none = prepareJobSpec(input(spec({}, { container_spec: { image_uri: "i" } }))).jobSpec;
    expect(
      (((none.worker_pool_specs as PlainObject[])[0] as PlainObject).container_spec as PlainObject).command,
    ).toEqual(["prefect", "flow-run", "execute"]);
  });

  it("the run-as account: service_account_name, else the key's e-mail, else asked later", () => {
    expect(prepareJobSpec(input(spec(), "key@p")).jobSpec.service_account_name).toBe(
      "sa@p.iam.gserviceaccount.com",
    );
    const fromKey = prepareJobSpec(input(spec({ service_account_name: "" }), "key@p"));
    expect([fromKey.jobSpec.service_account_name, fromKey.needsServiceAccount]).toEqual(["key@p", false]);
    const none = prepareJobSpec(input(spec({ service_account_name: null })));
    expect([none.jobSpec.service_account_name, none.needsServiceAccount]).toEqual([null, true]);
  });
});
