/**
 * The Azure Functions handlers (functions/azure/) end to end: the real Prefect server, the local
 * ARM over TLS with the real Azure SDK clients, azurite's Storage Queues, and a driver playing the
 * Functions host for the queue trigger (./functionsWorld.ts). Scheduled runs through the tick, a
 * webhook run, a cron fired twice (one run), bad input of each kind (a precise error, the rest of
 * the batch handled, nothing lost), and a message that keeps failing ending in the poison queue,
 * where the poison timer logs and clears it.
 */
import { HttpRequest } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signatureHeader, unixSeconds } from "../../../core/webhook/signature.ts";
import { makeCronHandler } from "../../../functions/azure/cron.ts";
import { parseCrons } from "../../../functions/azure/crons.ts";
import { MAX_DEQUEUE_COUNT } from "../../../functions/azure/hostSettings.ts";
import { makePoisonHandler } from "../../../functions/azure/poison.ts";
import { encodeBody } from "../../../functions/azure/queue.ts";
import { makeTickHandler } from "../../../functions/azure/tick.ts";
import { makeWebhookHandler } from "../../../functions/azure/webhook.ts";
import { type AzureRuntime, checkedOnce } from "../../../functions/azure/wiring.ts";
import { type AzureWorld, azureWorld, RG, SECRETS, SUB, until } from "./functionsWorld.ts";

let w: AzureWorld;
let rt: AzureRuntime;

beforeAll(async () => {
  w = await azureWorld("azfn");
  rt = await checkedOnce(await w.runtime());
});
afterAll(async () => {
  await w?.close();
});

function signed(body: string, secret = SECRETS.webhook): Record<string, string> {
  const ts = unixSeconds(new Date());
  return {
    "content-type": "application/json",
    "x-pushpool-timestamp": String(ts),
    "x-pushpool-signature": signatureHeader(secret, ts, body),
  };
}

const post = (body: string, headers: Record<string, string>, path = "/api/trigger") =>
  new HttpRequest({
    method: "POST",
    url: `https://pushpool.azurewebsites.net${path}`,
    headers,
    body: { string: body },
  });

async function expectDeployed(flowRunId: string) {
  const run = await w.admin.readFlowRun(flowRunId);
  expect(run?.state?.type).toBe("PENDING");
  expect(run?.infrastructure_pid).toMatch(new RegExp(`^${flowRunId}:`));
  const group = (await w.groupOf(flowRunId)) ?? "";
  const deployments = w.arm.world.deploymentRequests.filter((d) => JSON.stringify(d.body).includes(group));
  expect(deployments).toHaveLength(1);
  expect(deployments[0]?.resourceGroup).toBe(RG);
  return group;
}

describe("Azure Functions end to end", () => {
  it("tick: a run due now is enqueued (hidden until scheduled − lead), dispatched into one container group", async () => {
    const run = await w.admin.createFlowRun(w.deployment.id, { scheduled_at: new Date() });
    const later = await w.admin.createFlowRun(w.deployment.id, {
      scheduled_at: new Date(Date.now() + 3_600_000),
    });
    const ticked = await makeTickHandler(async () => rt)();
    expect(ticked.error).toBeUndefined();
    expect(ticked.ticked).toEqual([expect.objectContaining({ pool: w.pool.name, enqueued: 1 })]);
    expect(await w.drain(rt)).toMatchObject({ handled: 1, failed: 0, poisoned: 0 });
    const group = await expectDeployed(run.id);
    const created = await until(
      async () => w.arm.group(SUB, RG, group),
      (g) => g !== undefined,
    );
    expect(created?.containers[0]?.image).toBe("prefecthq/prefect:3-python3.12");
    expect((await w.admin.readFlowRun(later.id))?.state?.type).toBe("SCHEDULED");
  });

  it("webhook: a signed POST creates the run (202) and its dispatch starts one container group", async () => {
    const webhook = makeWebhookHandler(async () => rt);
    const body = JSON.stringify({ deployment: w.deployment.id, jobVariables: { env: { FROM: "ci" } } });
    const response = await webhook(post(body, signed(body)));
    expect(response.status).toBe(202);
    const { flowRunId, created } = JSON.parse(String(response.body));
    expect(created).toBe(true);
    expect(await w.drain(rt)).toMatchObject({ handled: 1, failed: 0 });
    const group = await expectDeployed(flowRunId);
    const request = w.arm.world.deploymentRequests.find((d) => JSON.stringify(d.body).includes(group));
    expect(JSON.stringify(request?.body)).toContain('"name":"FROM","value":"ci"');
  });

  it("webhook: bad signature 401, forbidden job variable 403, unknown route 404, unknown deployment 404", async () => {
    const webhook = makeWebhookHandler(async () => rt);
    const body = JSON.stringify({ deployment: w.deployment.id });
    expect((await webhook(post(body, signed(body, "not-the-secret-0123456789abcdef")))).status).toBe(401);
    const image = JSON.stringify({ deployment: w.deployment.id, jobVariables: { image: "evil:latest" } });
    expect((await webhook(post(image, signed(image)))).status).toBe(403);
    expect((await webhook(post(body, signed(body), "/api/elsewhere"))).status).toBe(404);
    const missing = JSON.stringify({ deployment: "no-such-flow/no-such-deployment" });
    const answer = await webhook(post(missing, signed(missing)));
    expect(answer.status).toBe(404);
    expect(String(answer.body)).toContain("no-such-flow/no-such-deployment");
    expect(await w.drain(rt, { rounds: 1 })).toMatchObject({ received: 0 });
  });

  it("cron: a timer fired twice for one occurrence makes one flow run and one container group", async () => {
    const flow = (await w.admin.rest<{ name: string }>("GET", `/flows/${w.deployment.flow_id}`)).name;
    const [entry] = parseCrons({
      PUSHPOOL_CRONS: JSON.stringify([
        {
          name: "hourly",
          schedule: "0 0 * * * *",
          deployment: `${flow}/${w.deployment.name}`,
          parameters: {},
        },
      ]),
    });
    if (!entry) throw new Error("no cron entry");
    const cron = makeCronHandler(entry, async () => rt);
    const first = await cron();
    const second = await cron();
    expect(second.idempotencyKey).toBe(first.idempotencyKey);
    expect(await w.drain(rt)).toMatchObject({ failed: 0, poisoned: 0 });
    const runs = await w.admin.client.filterFlowRuns({ workPoolNames: [w.pool.name], limit: 200 });
    const made = runs.filter((r) => r.idempotency_key === first.idempotencyKey);
    expect(made).toHaveLength(1);
    // An occurrence in the past hour: a late run, dispatched at once.
    await expectDeployed(made[0]?.id ?? "");
  });

  it("bad queue input of each kind is dropped with its reason; the good message in the batch is handled", async () => {
    const run = await w.admin.createFlowRun(w.deployment.id, { scheduled_at: new Date() });
    const good = { v: 1, kind: "dispatch", flowRunId: run.id, pool: w.pool.name, source: "test" } as const;
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    await w.queue.sendMessage(b64("{not json"));
    await w.queue.sendMessage(b64(JSON.stringify({ ...good, flowRunId: "nope" })));
    await w.queue.sendMessage(b64(JSON.stringify({ ...good, kind: "launch" })));
    await w.queue.sendMessage(encodeBody(good));
    expect(await w.drain(rt)).toMatchObject({ received: 4, handled: 4, failed: 0, poisoned: 0 });
    await expectDeployed(run.id);
    const logs = w.logs.join("\n");
    expect(logs).toContain("message body is not JSON");
    expect(logs).toContain("flowRunId: Invalid UUID");
    expect(logs).toContain("kind: Invalid discriminator value. Expected 'dispatch' | 'trigger'");
  });

  it("a message failing every time (Prefect unreachable) ends in the poison queue; the poison timer logs and clears it", async () => {
    const broken = await w.runtime({
      PREFECT_API_URL: "http://127.0.0.1:9/api",
      PREFECT_CLIENT_MAX_RETRIES: "0",
    });
    const run = await w.admin.createFlowRun(w.deployment.id, { scheduled_at: new Date() });
    await broken.deps.queue.send({
      v: 1,
      kind: "dispatch",
      flowRunId: run.id,
      pool: w.pool.name,
      source: "test",
    });
    const polled = await w.drain(broken, { rounds: 8 });
    expect(polled).toMatchObject({ handled: 0, failed: MAX_DEQUEUE_COUNT, poisoned: 1 });
    expect(w.logs.join("\n")).toContain("failed on its last delivery; the host moves it to the poison queue");
    const drained = await makePoisonHandler(async () => rt)();
    expect(drained).toHaveLength(1);
    expect(drained[0]?.what).toEqual({
      kind: "dispatch",
      flowRunId: run.id,
      pool: w.pool.name,
      source: "test",
    });
    expect(w.logs.join("\n")).toContain("poison message removed");
    expect((await w.poison.peekMessages()).peekedMessageItems).toEqual([]);
    // Nothing lost: the run is still Scheduled, and the next tick enqueues it again.
    expect((await w.admin.readFlowRun(run.id))?.state?.type).toBe("SCHEDULED");
    await makeTickHandler(async () => rt)();
    await w.drain(rt);
    await expectDeployed(run.id);
  });

  it("no secret reaches a log line", () => {
    const logs = w.logs.join("\n");
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
  });
});
