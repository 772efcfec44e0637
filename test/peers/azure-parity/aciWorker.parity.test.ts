/**
 * Parity with Prefect's own ACI worker (prefect-azure 0.4.13, pinned in .venv): every case runs
 * through the real `AzureContainerWorker.run` (Python, real Azure SDK clients) and through
 * pushpool's render + `AciBackend` (real TS SDK clients), each against its own local Azure
 * Resource Manager. The deployment each side PUT (name, resource group, mode, template, parameters)
 * and the pid must be equal, except for the rows of docs/parity/differences.md's "Azure Container
 * Instances" section (./differences.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArmFake, startArmFake } from "../azure/armFake.ts";
import { CASES, caseInput } from "./cases.ts";
import { aciRows, NORMALISERS, normalize, OUTCOME_ROWS } from "./differences.ts";
import {
  type CaseInput,
  type DriverOutput,
  runPrefectWorker,
  runPushpool,
  type SideOutcome,
  workerDefaultTemplate,
} from "./harness.ts";

type Obj = Record<string, unknown>;

let prefectArm: ArmFake;
let ourArm: ArmFake;
let inputs: CaseInput[];
let prefect: DriverOutput;
const ours: SideOutcome[] = [];

beforeAll(async () => {
  [prefectArm, ourArm] = await Promise.all([
    startArmFake({ stepMs: 100, autoExitCode: 0 }),
    startArmFake({ stepMs: 100, autoExitCode: 0 }),
  ]);
  const template = await workerDefaultTemplate();
  inputs = CASES.map((c, i) => caseInput(c, template, i));
  prefect = await runPrefectWorker(prefectArm, inputs);
  for (const input of inputs) ours.push(await runPushpool(ourArm, input, prefect.meta));
}, 600_000);

afterAll(async () => {
  await Promise.all([prefectArm?.close(), ourArm?.close()]);
});

function putOf(arm: ArmFake, flowRunId: string) {
  const puts = arm.world.deploymentRequests.filter((r) => r.name.endsWith(flowRunId));
  expect(puts, `one deployment PUT for ${flowRunId}`).toHaveLength(1);
  return puts[0] as { resourceGroup: string; name: string; body: Obj };
}

describe("ACI parity with Prefect's worker", () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))("%s", (_name, i) => {
    const c = CASES[i];
    const input = inputs[i];
    const mine = ours[i];
    const theirs = prefect.results[i];
    if (!c || !input || !mine || !theirs) throw new Error(`case ${i} did not run`);
    expect(mine, JSON.stringify(mine)).toHaveProperty("ok");
    const a = putOf(ourArm, input.flowRun.id);
    const b = putOf(prefectArm, input.flowRun.id);
    expect(a.name).toBe(b.name);
    expect(a.resourceGroup).toBe(b.resourceGroup);
    const x = {
      vars: c.vars as Obj,
      labels: (c.vars.labels ?? {}) as Record<string, string>,
      prefectDefaultImage: prefect.meta.defaultImage,
    };
    expect(normalize(a.body, { ...x, side: "ours" })).toEqual(normalize(b.body, { ...x, side: "prefect" }));
    const ourPid = "ok" in mine ? mine.ok.pid : null;
    const deployed = (
      a.body.properties as { template: { resources: { properties: { containers: unknown[] } }[] } }
    ).template;
    const group = (a.body.properties as { parameters: { container_group_name: { value: string } } })
      .parameters.container_group_name.value;
    expect(ourPid).toBe(`${input.flowRun.id}:${group}`);
    if (deployed.resources[0]?.properties.containers.length === 1) {
      expect(theirs, JSON.stringify(theirs)).toHaveProperty("ok");
      if ("ok" in theirs) {
        expect(theirs.ok.pid).toBe(ourPid);
        expect(theirs.ok.identifier).toBe(group);
      }
    } else {
      // Row "outcome (more than one container in the group)": the worker refuses what it deployed.
      expect(theirs).toMatchObject({
        error: { class: "RuntimeError", message: expect.stringMatching(/Container creation failed/) },
      });
    }
  });

  it("the secure values travel as secureValue on both sides, never as value", () => {
    for (const arm of [ourArm, prefectArm])
      for (const put of arm.world.deploymentRequests) {
        const env = JSON.stringify(put.body);
        expect(env).toContain('"name":"PREFECT_API_KEY","secureValue"');
        expect(env).not.toContain('"name":"PREFECT_API_KEY","value"');
      }
  });

  it("docs/parity/differences.md's ACI section and the normalisers match one to one", () => {
    const rows = aciRows();
    const paths = rows.map((r) => r.path);
    expect(new Set(paths).size, "one row per path").toBe(paths.length);
    expect([...paths].sort()).toEqual([...NORMALISERS.map((n) => n.path), ...OUTCOME_ROWS].sort());
    for (const row of rows) expect(row.reason.length, `${row.path}: a reason`).toBeGreaterThan(20);
  });
});
