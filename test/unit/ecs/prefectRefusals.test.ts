/**
 * Configurations Prefect's ECS worker refuses, refused alike (before any AWS call): `null` where
 * its job-configuration model has a plain `bool`/`Dict`/`int` field, and ECS integer fields that
 * are not integers (boto3's parameter validation). Plus the pid's cluster part, as Prefect forms it.
 * The parity suite (test/peers/aws-parity) runs the same cases against Prefect's worker itself.
 */

import { describe, expect, it } from "vitest";
import type { BaseJobTemplate, JsonObject } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { submitVia } from "../fakes/submit.ts";
import { bundledTemplate, makeBackend, renderEcs, submitWith } from "./render.ts";

async function refusal(values: JsonObject, template?: BaseJobTemplate): Promise<Error> {
  const { backend, api } = makeBackend();
  const { config, ctx } = await renderEcs(values, { template });
  const error = await (async () => submitVia(backend, backend.prepare(config, ctx), "t", ctx))().catch(
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(InvalidJobConfigurationError);
  expect(api.calls).toEqual([]);
  return error as Error;
}

/** The bundled template with `edit` applied to a copy of its job configuration. */
function customised(edit: (jc: Record<string, unknown>) => void): BaseJobTemplate {
  const copy = structuredClone(bundledTemplate);
  edit(copy.job_configuration as Record<string, unknown>);
  return copy;
}

describe("null where Prefect's model refuses it", () => {
  it.each([
    ["auto_deregister_task_definition", "Input should be a valid boolean"],
    ["match_latest_revision_in_family", "Input should be a valid boolean"],
    ["network_configuration", "Input should be a valid dictionary"],
    ["cloudwatch_logs_options", "Input should be a valid dictionary"],
  ])("%s: null → refused", async (key, message) => {
    expect((await refusal({ image: "x", [key]: null })).message).toBe(`${key}: ${message}`);
  });

  it("task_definition: null beside a task_definition_arn → refused", async () => {
    const template = customised((jc) => {
      jc.task_definition = null;
    });
    const error = await refusal(
      { task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/x:1" },
      template,
    );
    expect(error.message).toBe("task_definition: Input should be a valid dictionary");
  });

  it("Optional fields still take null (cluster, vpc_id, configure_cloudwatch_logs)", async () => {
    const { api } = await submitWith({
      image: "x",
      cluster: null,
      vpc_id: null,
      configure_cloudwatch_logs: null,
    });
    expect(api.count("runTask")).toBe(1);
  });
});

describe("ECS integer fields", () => {
  it("a container override cpu given as a string is refused with its parameter path", async () => {
    const template = customised((jc) => {
      const req = jc.task_run_request as { overrides: { containerOverrides: JsonObject[] } };
      (req.overrides.containerOverrides[0] as JsonObject).cpu = "256";
    });
    expect((await refusal({ image: "x" }, template)).message).toMatch(
      /^Parameter validation failed: Invalid type for parameter overrides\.containerOverrides\[0\]\.cpu, value: 256, type: string, valid types: integer$/,
    );
  });

  it("a string memory from the job variables reaches the container override and is refused", async () => {
    expect((await refusal({ image: "x", memory: "1024" })).message).toMatch(
      /overrides\.containerOverrides\[0\]\.memory, value: 1024/,
    );
  });

  it("a container definition memoryReservation given as a string is refused", async () => {
    const template = customised((jc) => {
      const td = jc.task_definition as { containerDefinitions: JsonObject[] };
      (td.containerDefinitions[0] as JsonObject).memoryReservation = "256";
    });
    expect((await refusal({ image: "x" }, template)).message).toMatch(
      /parameter containerDefinitions\[0\]\.memoryReservation, value: 256/,
    );
  });

  it("integers pass, and task-level cpu/memory overrides still travel as strings", async () => {
    const { api } = await submitWith({ image: "x", cpu: 512, memory: 1024 });
    const run = api.inputs<{ overrides: JsonObject }>("runTask")[0];
    expect(run?.overrides).toMatchObject({ cpu: "512", memory: "1024", containerOverrides: [{ cpu: 512 }] });
  });
});

describe("the pid's cluster part (Prefect: the configured `cluster`, else the task's cluster ARN)", () => {
  it("a cluster named only in the template's task_run_request → the cluster ARN", async () => {
    const template = customised((jc) => {
      (jc.task_run_request as JsonObject).cluster = "prod";
    });
    const { backend } = makeBackend();
    const { config, ctx } = await renderEcs({ image: "x" }, { template });
    const { pid } = await submitVia(backend, backend.prepare(config, ctx), "t", ctx);
    expect(pid).toMatch(/^arn:aws:ecs:us-east-1:123456789012:cluster\/prod::arn:aws:ecs:.*task\/prod\//);
  });

  it('the `cluster` variable → that string; a pool default of "" → the default cluster\'s ARN', async () => {
    expect((await submitWith({ image: "x", cluster: "prod" })).pid).toMatch(/^prod::/);
    const { pid, api } = await submitWith({ image: "x", cluster: "" });
    expect(pid).toMatch(/^arn:aws:ecs:us-east-1:123456789012:cluster\/default::/);
    expect(api.inputs<JsonObject>("runTask")[0]).not.toHaveProperty("cluster");
  });
});
