/**
 * Bad input → a precise error, never a crash: whatever JSON a template renders into the
 * `vertex-ai` fields, `prepare` returns a request or throws an InvalidJobConfigurationError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VertexBackend } from "../../../core/backends/vertex-ai/index.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { Json } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { newFlowRun } from "../../conformance/backend/suite.ts";

const backend = new VertexBackend({
  vertexApiFor: () => {
    throw new Error("no cloud");
  },
});
const ctx = { flowRun: newFlowRun(), pool: { name: "p", type: "vertex-ai" } };

const json: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;
/** Mostly the valid value, sometimes any JSON. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: json });
const message = (fields: Record<string, fc.Arbitrary<unknown>>, requiredKeys: string[]) =>
  mostly(fc.record(fields, { requiredKeys: requiredKeys as never }));
/** A job_spec that is often nearly valid: the required paths, with arbitrary values in them. */
const jobSpec = mostly(
  fc.record(
    {
      maximum_run_time_hours: mostly(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ noNaN: true }))),
      service_account_name: fc.oneof(fc.string(), json),
      network: json,
      reserved_ip_ranges: json,
      scheduling: fc.oneof(
        fc.record({
          strategy: fc.constantFrom("FLEX_START", "SPOT", "NOPE"),
          max_wait_duration: fc.string(),
        }),
        json,
      ),
      enable_web_access: json,
      bogus: json,
      worker_pool_specs: mostly(
        fc.array(
          fc.record(
            {
              replica_count: fc.oneof(fc.constant(1), json),
              container_spec: message(
                {
                  image_uri: fc.string(),
                  command: json,
                  args: json,
                  env: json,
                },
                ["image_uri"],
              ),
              machine_spec: message(
                {
                  machine_type: fc.string(),
                  accelerator_type: json,
                  accelerator_count: json,
                },
                ["machine_type"],
              ),
              disk_spec: message({ boot_disk_type: fc.string(), boot_disk_size_gb: json }, [
                "boot_disk_type",
                "boot_disk_size_gb",
              ]),
            },
            { requiredKeys: ["container_spec", "machine_spec", "disk_spec"] },
          ),
          { minLength: 1, maxLength: 2 },
        ),
      ),
    },
    { requiredKeys: ["maximum_run_time_hours", "worker_pool_specs"] },
  ),
);

describe("VertexBackend.prepare never crashes", () => {
  it("returns a request or throws InvalidJobConfigurationError", () => {
    let prepared = 0;
    fc.assert(
      fc.property(
        fc.record(
          {
            job_spec: jobSpec,
            region: mostly(fc.constant("us-central1")),
            credentials: fc.oneof(
              fc.constant({}),
              fc.constant({ service_account_info: { client_email: "a@b" } }),
              json,
            ),
            job_watch_poll_interval: fc.oneof(fc.double({ noNaN: true }), json),
            command: fc.oneof(fc.constant(null), fc.string()),
          },
          { requiredKeys: ["job_spec", "region"] },
        ),
        (fields) => {
          const config = {
            env: { A: "1" },
            labels: { l: "v" },
            name: "n",
            command: null,
            ...fields,
          } as JobConfiguration;
          try {
            const request = backend.prepare(config, ctx);
            expect(request.job.jobSpec).toBeTypeOf("object");
            expect(request.job.jobSpec.workerPoolSpecs).toBeInstanceOf(Array);
            prepared++;
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidJobConfigurationError);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(prepared).toBeGreaterThan(0); // the generator reaches the success path too
  });
});
