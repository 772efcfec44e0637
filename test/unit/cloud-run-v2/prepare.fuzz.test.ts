/**
 * Bad input → a precise error, never a crash: whatever JSON a template renders into the
 * `cloud-run-v2` fields, `prepare` returns a request or throws an InvalidJobConfigurationError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CloudRunBackend } from "../../../core/backends/cloud-run-v2/index.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import type { Json } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { newFlowRun } from "../../conformance/backend/suite.ts";

const backend = new CloudRunBackend({
  cloudRunApiFor: () => {
    throw new Error("no cloud");
  },
});
const ctx = { flowRun: newFlowRun(), pool: { name: "p", type: "cloud-run-v2" } };

const json: fc.Arbitrary<Json> = fc.jsonValue() as fc.Arbitrary<Json>;
/** Mostly the valid value, sometimes any JSON. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: json });
/** A job_body that is often nearly valid: the required path, with arbitrary values in it. */
const jobBody = mostly(
  fc.record({
    labels: json,
    template: mostly(
      fc.record({
        labels: json,
        template: mostly(
          fc.record({
            containers: mostly(fc.array(fc.dictionary(fc.string(), json), { minLength: 1 })),
            vpcAccess: json,
            volumes: json,
          }),
        ),
      }),
    ),
  }),
);

describe("CloudRunBackend.prepare never crashes", () => {
  it("returns a request or throws InvalidJobConfigurationError", () => {
    let prepared = 0;
    fc.assert(
      fc.property(
        fc.record(
          {
            job_body: jobBody,
            timeout: fc.oneof(fc.integer({ min: 1, max: 604800 }), json),
            env_from_secrets: fc.oneof(
              fc.constant({}),
              fc.constant({ S: { secret: "s", version: "1" } }),
              json,
            ),
            prefect_api_key_secret: fc.oneof(fc.constant(null), json),
            cloudsql_instances: fc.oneof(fc.array(fc.string()), json),
            keep_job: fc.oneof(fc.boolean(), json),
            region: fc.oneof(fc.string(), json),
            credentials: fc.oneof(fc.constant({}), json),
          },
          { requiredKeys: ["job_body"] },
        ),
        (fields) => {
          const config = {
            command: null,
            env: { A: "1" },
            labels: { l: "v" },
            name: "n",
            ...fields,
          } as JobConfiguration;
          try {
            const request = backend.prepare(config, ctx);
            expect(request.job).toBeTypeOf("object");
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
