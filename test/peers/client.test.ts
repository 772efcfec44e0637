/**
 * PrefectClient against the real Prefect server of this run: every PrefectApi method, the claim
 * protocol outcomes, and Python floats surviving the round trip.
 */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { PrefectClient } from "../../core/prefect/client.ts";
import type { Deployment, FlowRun, StateCreate, WorkPool } from "../../core/prefect/types.ts";
import { PrefectApiError, TransientError } from "../../core/shared/errors.ts";
import { isPyFloat, PyFloat } from "../../core/template/pyFloat.ts";
import { PrefectAdmin, uniqueName } from "./helpers/prefectAdmin.ts";

const apiUrl = inject("prefectApiUrl");
const admin = new PrefectAdmin(apiUrl);
const trips: { method: string; path: string; status: number }[] = [];
const client = new PrefectClient({
  apiUrl,
  onRequest: ({ method, path, status }) => trips.push({ method, path, status }),
});

const claim = (runId: string, transitionId: string, name = "Pending"): StateCreate => ({
  type: "PENDING",
  name,
  message: null,
  state_details: { flow_run_id: runId, transition_id: transitionId },
});

/** Repeats `call` while the server refuses it as busy (503), up to ten attempts. */
async function whileBusy<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TransientError) || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

let pool: WorkPool;
let deployment: Deployment;
let flowName: string;

beforeAll(async () => {
  flowName = uniqueName("fl ow #?+é");
  const created = await admin.createPoolWithDeployment(
    { type: "process" },
    {
      flow_name: flowName,
      name: "dep #1 ?x=y+é",
      job_variables: { x: new PyFloat(1), n: 2 },
      parameters: { a: 1 },
    },
  );
  pool = created.pool;
  deployment = created.deployment;
});

describe("reads", () => {
  it("readWorkPool returns the pool, null when missing", async () => {
    const read = await client.readWorkPool(pool.name);
    expect(read?.id).toBe(pool.id);
    expect(read?.type).toBe("process");
    expect(read?.base_job_template.job_configuration).toHaveProperty("command", "{{ command }}");
    expect(await client.readWorkPool(uniqueName("missing"))).toBeNull();
  });

  it("asks for uncompressed responses, and the server sends a large one uncompressed", async () => {
    const encodings: (string | null)[] = [];
    const plain = new PrefectClient({
      apiUrl,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        encodings.push(res.headers.get("content-encoding"));
        return res;
      },
    });
    const read = await plain.readWorkPool(pool.name);
    expect(JSON.stringify(read).length).toBeGreaterThan(1000); // past Prefect's gzip threshold
    expect(encodings).toEqual([null]);
    const gzipped = await fetch(`${apiUrl}/work_pools/${encodeURIComponent(pool.name)}`, {
      headers: { "Accept-Encoding": "gzip" },
    });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
  });

  it("readDeployment / readDeploymentByName (URL-encoded names) / readFlow, null when missing", async () => {
    const byId = await client.readDeployment(deployment.id);
    const byName = await client.readDeploymentByName(flowName, "dep #1 ?x=y+é");
    expect(byName?.id).toBe(deployment.id);
    expect(byId?.work_pool_name).toBe(pool.name);
    expect((await client.readFlow(deployment.flow_id))?.name).toBe(flowName);
    expect(await client.readDeployment(randomUUID())).toBeNull();
    expect(await client.readDeploymentByName(flowName, "nope")).toBeNull();
    expect(await client.readFlow(randomUUID())).toBeNull();
  });

  it("keeps Python floats: job_variables {x: 1.0} reads back as a PyFloat, {n: 2} as an int", async () => {
    const read = await client.readDeployment(deployment.id);
    const x = read?.job_variables?.x;
    expect(isPyFloat(x)).toBe(true);
    expect(Number(x)).toBe(1);
    expect(isPyFloat(read?.job_variables?.n)).toBe(false);
  });

  it("readDefaultBaseJobTemplate for process and ecs, null for an unknown type, one metadata read", async () => {
    const fresh = new PrefectClient({ apiUrl, onRequest: (info) => trips.push(info) });
    const before = trips.length;
    const processTemplate = await fresh.readDefaultBaseJobTemplate("process");
    const ecs = await fresh.readDefaultBaseJobTemplate("ecs");
    expect(processTemplate?.job_configuration).toMatchObject({ command: "{{ command }}", env: "{{ env }}" });
    expect(ecs?.job_configuration).toHaveProperty("task_run_request");
    expect(JSON.stringify(ecs?.variables)).toContain("launch_type");
    expect(await fresh.readDefaultBaseJobTemplate("ecs:push")).toBeNull();
    expect(trips.slice(before).filter((t) => t.path.startsWith("/collections/"))).toHaveLength(1);
  });

  it("readBlockDocument by id and by type slug + name, with secrets", async () => {
    const name = uniqueName("creds");
    const secret = await admin.createBlockDocument("secret", name, { value: "s3cr3t-value" });
    // Prefect 3.9 has no `json` block type any more; a Secret may hold a JSON object.
    const json = await admin.createBlockDocument("secret", uniqueName("cfg"), {
      value: { cpu: new PyFloat(1) },
    });
    expect((await client.readBlockDocument(secret.id))?.data).toEqual({ value: "s3cr3t-value" });
    expect((await client.readBlockDocumentByName("secret", name))?.id).toBe(secret.id);
    const value = (await client.readBlockDocument(json.id))?.data.value as Record<string, unknown>;
    expect(isPyFloat(value.cpu)).toBe(true);
    expect(await client.readBlockDocument(randomUUID())).toBeNull();
    expect(await client.readBlockDocumentByName("secret", uniqueName("missing"))).toBeNull();
  });

  it("readVariable returns the value, undefined when missing", async () => {
    const name = uniqueName("var").replace(/-/g, "_");
    await admin.createVariable(name, { image: "repo/img:1", cpu: new PyFloat(2) });
    const value = (await client.readVariable(name)) as Record<string, unknown>;
    expect(value.image).toBe("repo/img:1");
    expect(isPyFloat(value.cpu)).toBe(true);
    expect(await client.readVariable(`${name}_missing`)).toBeUndefined();
  });
});

describe("runs", () => {
  it("createFlowRun with an idempotency key twice gives one run (201, then 200)", async () => {
    const key = `${deployment.id}:${randomUUID()}`;
    const first = await client.createFlowRun(deployment.id, { idempotency_key: key, parameters: { b: 2 } });
    const second = await client.createFlowRun(deployment.id, { idempotency_key: key, parameters: { b: 3 } });
    expect(second.id).toBe(first.id);
    expect(first.parameters).toEqual({ a: 1, b: 2 }); // shallow-merged over the deployment's
    const statuses = trips
      .filter((t) => t.path === `/deployments/${deployment.id}/create_flow_run`)
      .map((t) => t.status);
    expect(statuses.slice(-2)).toEqual([201, 200]);
  });

  it("readFlowRun and filterFlowRuns", async () => {
    const run = await admin.createFlowRun(deployment.id);
    const read = await client.readFlowRun(run.id);
    expect(read?.state_type).toBe("SCHEDULED");
    expect(read?.deployment_id).toBe(deployment.id);
    expect(await client.readFlowRun(randomUUID())).toBeNull();
    const found = await client.filterFlowRuns({
      ids: [run.id],
      stateTypes: ["SCHEDULED"],
      workPoolNames: [pool.name],
    });
    expect(found.map((r) => r.id)).toEqual([run.id]);
    expect(await client.filterFlowRuns({ ids: [run.id], stateTypes: ["CANCELLING"] })).toEqual([]);
    expect(await client.filterFlowRuns({ ids: [run.id], workPoolNames: [uniqueName("other")] })).toEqual([]);
  });

  it("filterFlowRuns by next scheduled start, in id order", async () => {
    const soon = new Date(Date.now() + 60_000);
    const later = new Date(Date.now() + 3_600_000);
    const a = await admin.createFlowRun(deployment.id, { scheduled_at: soon });
    const b = await admin.createFlowRun(deployment.id, { scheduled_at: soon });
    const c = await admin.createFlowRun(deployment.id, { scheduled_at: later });
    const due = await client.filterFlowRuns({
      ids: [a.id, b.id, c.id],
      scheduledBefore: new Date(soon.getTime() + 1000),
      sort: "ID_DESC",
    });
    expect(due.map((r) => r.id)).toEqual([a.id, b.id].sort().reverse());
  });

  it("claim: ACCEPT, a new transition id → ABORT, the same transition id → REJECT with PENDING", async () => {
    const run = await admin.createFlowRun(deployment.id);
    const t1 = randomUUID();
    const accepted = await client.setState(run.id, claim(run.id, t1));
    expect(accepted.status).toBe("ACCEPT");
    expect(accepted.state?.type).toBe("PENDING");
    expect(accepted.state?.state_details?.transition_id).toBe(t1);
    const other = await client.setState(run.id, claim(run.id, randomUUID()));
    expect(other.status).toBe("ABORT");
    expect(other.details.reason).toBe(
      "This run is in a PENDING state and cannot transition to a PENDING state.",
    );
    const retry = await client.setState(run.id, claim(run.id, t1));
    expect(retry.status).toBe("REJECT");
    expect(retry.state?.type).toBe("PENDING");
    expect(retry.state?.name).toBe("Pending");
    const submitting = await client.setState(run.id, claim(run.id, randomUUID(), "Submitting"));
    expect(submitting.status).toBe("ACCEPT");
  });

  it("claim under deployment concurrency 1: lease on ACCEPT, REJECT into AwaitingConcurrencySlot", async () => {
    const limited = await admin.createDeployment({ work_pool_name: pool.name, concurrency_limit: 1 });
    const a = await admin.createFlowRun(limited.id);
    const b = await admin.createFlowRun(limited.id);
    const first = await client.setState(a.id, claim(a.id, randomUUID()));
    expect(first.status).toBe("ACCEPT");
    expect(first.state?.state_details?.deployment_concurrency_lease_id).toEqual(expect.any(String));
    const second = await client.setState(b.id, claim(b.id, randomUUID()));
    expect(second.status).toBe("REJECT");
    expect(second.state).toMatchObject({ type: "SCHEDULED", name: "AwaitingConcurrencySlot" });
  });

  it("setState on an unknown run is a 404 PrefectApiError", async () => {
    const id = randomUUID();
    const error = await client.setState(id, claim(id, randomUUID())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrefectApiError);
    expect((error as PrefectApiError).status).toBe(404);
  });

  it("setInfrastructurePid and updateFlowRunLabels are visible on the run", async () => {
    const run = await admin.createFlowRun(deployment.id);
    await client.setInfrastructurePid(run.id, "cluster::arn:aws:ecs:task/1");
    // The labels PATCH is best effort (one attempt); the shared SQLite server answers 503 while
    // another test file writes, so the test repeats a refused attempt as a busy caller would.
    await whileBusy(() =>
      client.updateFlowRunLabels(run.id, {
        "prefect.worker.name": "pushpool",
        "prefect.work-pool.name": pool.name,
      }),
    );
    const read = (await client.readFlowRun(run.id)) as FlowRun;
    expect(read.infrastructure_pid).toBe("cluster::arn:aws:ecs:task/1");
    expect(read.labels).toMatchObject({
      "prefect.worker.name": "pushpool",
      "prefect.work-pool.name": pool.name,
    });
  });

  it("createLogs writes logs readable through /logs/filter", async () => {
    const run = await admin.createFlowRun(deployment.id);
    const timestamp = new Date().toISOString();
    await client.createLogs([
      { name: "pushpool", level: 20, message: "submitted to ECS", timestamp, flow_run_id: run.id },
      { name: "pushpool", level: 40, message: "oops", timestamp, flow_run_id: run.id },
    ]);
    const logs = await admin.rest<{ message: string }[]>("POST", "/logs/filter", {
      logs: { flow_run_id: { any_: [run.id] } },
    });
    expect(logs.map((l) => l.message).sort()).toEqual(["oops", "submitted to ECS"]);
  });

  it("a create body with an unknown key surfaces the server's 422 as loc: msg", async () => {
    const error = await admin.rest("POST", "/flows/", { name: "x", bogus: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrefectApiError);
    expect((error as PrefectApiError).status).toBe(422);
    expect((error as PrefectApiError).detail).toContain("body.bogus: Extra inputs are not permitted");
  });
});

describe("pools", () => {
  it("getScheduledFlowRuns respects scheduled_before, queue names and limit", async () => {
    const { deployment: dep, pool: p } = await admin.createPoolWithDeployment();
    const now = await admin.createFlowRun(dep.id);
    const later = await admin.createFlowRun(dep.id, { scheduled_at: new Date(Date.now() + 3600_000) });
    const soon = await client.getScheduledFlowRuns(p.name, {
      scheduledBefore: new Date(Date.now() + 10_000),
    });
    expect(soon.map((r) => r.flow_run.id)).toEqual([now.id]);
    expect(soon[0]?.work_pool_id).toBe(p.id);
    const all = await client.getScheduledFlowRuns(p.name, {
      scheduledBefore: new Date(Date.now() + 7200_000),
      workQueueNames: ["default"],
    });
    expect(all.map((r) => r.flow_run.id)).toEqual([now.id, later.id]);
    const one = await client.getScheduledFlowRuns(p.name, {
      scheduledBefore: new Date(Date.now() + 7200_000),
      limit: 1,
    });
    expect(one).toHaveLength(1);
    const missingQueue = await client
      .getScheduledFlowRuns(p.name, { scheduledBefore: new Date(), workQueueNames: ["nope"] })
      .catch((e: unknown) => e);
    expect((missingQueue as PrefectApiError).status).toBe(404);
  });

  it("heartbeat turns a NOT_READY pool READY (204)", async () => {
    const p = await admin.createWorkPool();
    expect((await client.readWorkPool(p.name))?.status).toBe("NOT_READY");
    await client.heartbeat(p.name, "pushpool-test", 60);
    expect((await client.readWorkPool(p.name))?.status).toBe("READY");
    // A busy shared server (SQLite) may answer 503 first; the client retries until the 204.
    const statuses = trips
      .filter((t) => t.path === `/work_pools/${p.name}/workers/heartbeat`)
      .map((t) => t.status);
    expect(statuses.at(-1)).toBe(204);
    expect(statuses.slice(0, -1).every((s) => s === 503)).toBe(true);
  });

  it("updateWorkPoolTemplate fills an empty template and keeps floats", async () => {
    const p = await admin.createWorkPool({ base_job_template: {} });
    expect((await client.readWorkPool(p.name))?.base_job_template).toEqual({});
    const template = (await client.readDefaultBaseJobTemplate("process")) ?? {};
    const variables = template.variables as { properties: Record<string, Record<string, unknown>> };
    variables.properties.ratio = { type: "number", default: new PyFloat(1) };
    await client.updateWorkPoolTemplate(p.name, template);
    const read = await client.readWorkPool(p.name);
    const readVariables = read?.base_job_template.variables as typeof variables | undefined;
    const ratio = readVariables?.properties.ratio;
    expect(isPyFloat(ratio?.default)).toBe(true);
    expect(read?.base_job_template.job_configuration).toHaveProperty("command", "{{ command }}");
  });
});
