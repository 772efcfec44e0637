/**
 * `pushpool doctor`'s ECS rows (core/backends/ecs/doctor.ts) over hand-written ports: each failure
 * stops the rows after it and names its own fix; and the table doctor prints.
 */
import { describe, expect, it } from "vitest";
import { type EcsDoctorPorts, ecsDoctor } from "../../../core/backends/ecs/doctor.ts";
import type { EcsApi } from "../../../core/backends/ecs/port.ts";
import type { EcsRequest } from "../../../core/backends/ecs/request.ts";
import type { BackendContext } from "../../../core/ports/backend.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { formatTable } from "../../../functions/local/doctor.ts";

const ctx = { flowRun: { id: "r" }, pool: { name: "p", type: "ecs" } } as unknown as BackendContext;
const REQUEST = {
  cluster: "prod",
  taskDefinition: {
    kind: "spec",
    family: "pushpool_p",
    spec: { executionRoleArn: "arn:aws:iam::123456789012:role/exec" },
  },
  executionRoleArn: "arn:aws:iam::123456789012:role/exec",
  runTask: null,
} as unknown as EcsRequest;

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

function ports(over: Partial<EcsDoctorPorts> & { listTasks?: () => Promise<string[]> } = {}): EcsDoctorPorts {
  const api = {
    region: "eu-west-1",
    listTasksStartedBy: over.listTasks ?? (async () => []),
  } as unknown as EcsApi;
  return {
    prepare: () => REQUEST,
    api: () => api,
    warm: async () => undefined,
    resolve: async () => ({
      runTask: { networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"] } } },
    }),
    ...over,
  };
}

describe("ecsDoctor", () => {
  it("all good: configuration, cluster, task definition with its roles, subnets", async () => {
    const rows = await ecsDoctor({} as never, ctx, ports());
    expect(rows.map((r) => [r.check, r.ok, r.detail])).toEqual([
      ["ECS job configuration", true, "prepares"],
      ["ECS cluster", true, "'prod' exists in eu-west-1"],
      [
        "ECS task definition",
        true,
        "family pushpool_p registered or found (execution role arn:aws:iam::123456789012:role/exec)",
      ],
      ["ECS networking", true, "subnets subnet-a, subnet-b"],
    ]);
  });

  it("a configuration that cannot prepare stops there", async () => {
    const rows = await ecsDoctor(
      {} as never,
      ctx,
      ports({
        prepare: () => {
          throw new InvalidJobConfigurationError("cpu: Input should be a valid integer");
        },
      }),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.ok).toBe(false);
    expect(rows[0]?.detail).toBe("InvalidJobConfigurationError: cpu: Input should be a valid integer");
  });

  it("a missing cluster: the command that creates it", async () => {
    const rows = await ecsDoctor(
      {} as never,
      ctx,
      ports({
        listTasks: async () => Promise.reject(awsError("ClusterNotFoundException", "Cluster not found.")),
      }),
    );
    expect(rows.at(-1)).toMatchObject({
      check: "ECS cluster",
      ok: false,
      detail: "cluster 'prod' not found in eu-west-1",
    });
    expect(rows.at(-1)?.fix).toContain("aws ecs create-cluster --cluster-name prod");
  });

  it("a role that cannot be passed: where to allow iam:PassRole", async () => {
    const denied = awsError(
      "AccessDeniedException",
      "User: arn:aws:sts::1:assumed-role/x is not authorized to perform: iam:PassRole on resource: exec",
    );
    const rows = await ecsDoctor({} as never, ctx, ports({ warm: async () => Promise.reject(denied) }));
    const row = rows.at(-1);
    expect(row).toMatchObject({ check: "ECS task definition", ok: false });
    expect(row?.detail).toContain("iam:PassRole");
    expect(row?.fix).toContain("ecsExecutionRoles / ecsTaskRoles");
  });
});

describe("formatTable", () => {
  it("pads the check and result columns and puts the fix after the detail of a failure", () => {
    const table = formatTable([
      { check: "Prefect API reachable", ok: true, detail: "http://x/api answers" },
      { check: "pool", ok: false, detail: "missing", fix: "create it" },
    ]);
    expect(table.split("\n")).toEqual([
      "CHECK                  RESULT  DETAIL / FIX",
      "Prefect API reachable  ok      http://x/api answers",
      "pool                   FAIL    missing → fix: create it",
    ]);
  });
});
