import { describe, expect, it } from "vitest";
import { flowRunFilterBody, LABEL_RETRIES, PrefectClient } from "../../../core/prefect/client.ts";
import type { State } from "../../../core/prefect/types.ts";
import { isPyFloat } from "../../../core/template/pyFloat.ts";
import { API, type FetchCall, fakeClock, fakeFetch, type Reply } from "./fakes.ts";

function setup(route: (call: FetchCall) => Reply = () => ({ status: 200, body: [] })) {
  // An older server without /csrf-token: CSRF off, so the calls below are the whole story.
  const fake = fakeFetch((call) => (call.path === "/csrf-token" ? { status: 404 } : route(call)));
  const client = new PrefectClient({ apiUrl: API, fetch: fake.fetch, clock: fakeClock() });
  const last = () => {
    const call = fake.calls.at(-1);
    if (!call) throw new Error("no call");
    return {
      method: call.method,
      path: call.path,
      query: call.url.search,
      body: call.body && JSON.parse(call.body),
    };
  };
  return { client, fake, last };
}

const METADATA = JSON.stringify({
  prefect: {
    process: { type: "process", default_base_job_configuration: { job_configuration: { command: "x" } } },
  },
  "prefect-aws": {
    ecs: {
      type: "ecs",
      default_base_job_configuration: { variables: { properties: { cpu: { default: 99 } } } },
    },
  },
}).replace("99", "1.0");

describe("worker labels under a busy server", () => {
  it("sends the labels PATCH once, never retried (a cosmetic write does not pile retries on a busy server)", async () => {
    const { client, fake } = setup((call) =>
      call.path.endsWith("/labels") ? { status: 503 } : { status: 200 },
    );
    await expect(client.updateFlowRunLabels("r1", { a: "b" })).rejects.toThrow(/503/);
    expect(fake.calls.filter((c) => c.path.endsWith("/labels"))).toHaveLength(1);
    expect(LABEL_RETRIES).toBe(0);
  });
});

describe("PrefectClient paths and bodies", () => {
  it("getScheduledFlowRuns always sends scheduled_before with an offset, the rest only when given", async () => {
    const { client, last } = setup();
    await client.getScheduledFlowRuns("my pool", { scheduledBefore: new Date("2026-11-28T12:00:10Z") });
    expect(last()).toEqual({
      method: "POST",
      path: "/work_pools/my%20pool/get_scheduled_flow_runs",
      query: "",
      body: { scheduled_before: "2026-11-28T12:00:10.000+00:00" },
    });
    await client.getScheduledFlowRuns("p", {
      scheduledBefore: new Date("2026-11-28T12:00:10Z"),
      scheduledAfter: new Date("2026-11-28T11:00:00Z"),
      workQueueNames: ["default"],
      limit: 5,
    });
    expect(last().body).toEqual({
      scheduled_before: "2026-11-28T12:00:10.000+00:00",
      scheduled_after: "2026-11-28T11:00:00.000+00:00",
      work_queue_names: ["default"],
      limit: 5,
    });
  });

  it("filterFlowRuns builds the nested filter and omits empty parts", async () => {
    const { client, last, fake } = setup();
    await client.filterFlowRuns({
      stateTypes: ["CANCELLING"],
      ids: ["a", "b"],
      workPoolNames: ["p"],
      limit: 10,
    });
    expect(last().body).toEqual({
      flow_runs: { state: { type: { any_: ["CANCELLING"] } }, id: { any_: ["a", "b"] } },
      work_pools: { name: { any_: ["p"] } },
      limit: 10,
      sort: "EXPECTED_START_TIME_ASC",
    });
    await client.filterFlowRuns({ stateTypes: [], stateNames: ["Late"], offset: 3 });
    expect(last().body).toEqual({
      flow_runs: { state: { name: { any_: ["Late"] } } },
      offset: 3,
      sort: "EXPECTED_START_TIME_ASC",
    });
    const before = fake.calls.length; // includes the one /csrf-token probe
    expect(await client.filterFlowRuns({ ids: [] })).toEqual([]);
    expect(fake.calls).toHaveLength(before); // an empty id list matches nothing: no round trip
  });

  it("setState sends {state, force} with only StateCreate keys (a copied State loses id/timestamp)", async () => {
    const { client, last } = setup(() => ({
      status: 200,
      body: { status: "ACCEPT", details: {}, state: null },
    }));
    const current: State = {
      id: "s1",
      type: "CANCELLED",
      name: "Cancelled",
      message: "bye",
      timestamp: "2026-11-28T12:00:00Z",
      state_details: { transition_id: "t1" },
    };
    const result = await client.setState("r 1", current, true);
    expect(result.status).toBe("ACCEPT");
    expect(last()).toEqual({
      method: "POST",
      path: "/flow_runs/r%201/set_state",
      query: "",
      body: {
        state: {
          type: "CANCELLED",
          name: "Cancelled",
          message: "bye",
          state_details: { transition_id: "t1" },
        },
        force: true,
      },
    });
    await client.setState("r1", { type: "PENDING", name: "Pending" });
    expect(last().body.force).toBe(false);
  });

  it("maps the small writes to their paths", async () => {
    const { client, last } = setup(() => ({ status: 204 }));
    await client.heartbeat("p", "pushpool-1", 60);
    expect(last()).toMatchObject({
      path: "/work_pools/p/workers/heartbeat",
      body: { name: "pushpool-1", heartbeat_interval_seconds: 60 },
    });
    await client.setInfrastructurePid("r1", "cluster::arn");
    expect(last()).toMatchObject({
      method: "PATCH",
      path: "/flow_runs/r1",
      body: { infrastructure_pid: "cluster::arn" },
    });
    await client.updateFlowRunLabels("r1", { "prefect.worker.name": "w" });
    expect(last()).toMatchObject({
      method: "PATCH",
      path: "/flow_runs/r1/labels",
      body: { "prefect.worker.name": "w" },
    });
    await client.updateWorkPoolTemplate("p", { job_configuration: {}, variables: {} });
    expect(last()).toMatchObject({ method: "PATCH", path: "/work_pools/p", body: { base_job_template: {} } });
    const log = {
      name: "pushpool",
      level: 20,
      message: "hi",
      timestamp: "2026-11-28T12:00:00Z",
      flow_run_id: "r1",
    };
    await client.createLogs([log]);
    expect(last()).toMatchObject({ method: "POST", path: "/logs/", body: [log] });
  });

  it("createLogs with no logs makes no request", async () => {
    const { client, fake } = setup();
    await client.createLogs([]);
    expect(fake.calls).toHaveLength(0);
  });

  it("createFlowRun drops unknown keys from the body and from its state", async () => {
    const { client, last } = setup(() => ({ status: 201, body: { id: "r1" } }));
    const body = {
      idempotency_key: "k",
      parameters: { a: 1 },
      state: { type: "SCHEDULED", id: "x" },
      bogus: 1,
    };
    await client.createFlowRun("d1", body as never);
    expect(last()).toMatchObject({ path: "/deployments/d1/create_flow_run" });
    expect(last().body).toEqual({ idempotency_key: "k", parameters: { a: 1 }, state: { type: "SCHEDULED" } });
  });

  it("URL-encodes names and asks block documents with include_secrets", async () => {
    const { client, last } = setup(() => ({ status: 200, body: { id: "x", value: 3 } }));
    await client.readDeploymentByName("fl ow#?", "dep +é");
    expect(last().path).toBe("/deployments/name/fl%20ow%23%3F/dep%20%2B%C3%A9");
    await client.readBlockDocumentByName("aws-credentials", "my creds");
    expect(last().path).toBe("/block_types/slug/aws-credentials/block_documents/name/my%20creds");
    expect(last().query).toBe("?include_secrets=true");
    await client.readBlockDocument("b1");
    expect(last()).toMatchObject({ path: "/block_documents/b1", query: "?include_secrets=true" });
    expect(await client.readVariable("v x")).toBe(3);
    expect(last().path).toBe("/variables/name/v%20x");
  });

  it("readDefaultBaseJobTemplate reads the metadata once per client and returns copies", async () => {
    const { client, fake } = setup(() => ({ status: 200, body: METADATA }));
    const ecs = await client.readDefaultBaseJobTemplate("ecs");
    expect(await client.readDefaultBaseJobTemplate("process")).toEqual({
      job_configuration: { command: "x" },
    });
    expect(await client.readDefaultBaseJobTemplate("ecs:push")).toBeNull();
    expect(fake.callsTo("/collections/views/aggregate-worker-metadata")).toHaveLength(1);
    const cpu = (ecs as { variables: { properties: { cpu: { default: unknown } } } }).variables.properties
      .cpu;
    expect(isPyFloat(cpu.default)).toBe(true);
    cpu.default = "mutated";
    const again = await client.readDefaultBaseJobTemplate("ecs");
    expect(JSON.stringify(again)).toContain('"default":1');
  });

  it("retries the metadata read after a failure instead of caching the error", async () => {
    let fail = true;
    const { client } = setup(() =>
      fail ? { status: 400, body: { detail: "nope" } } : { status: 200, body: METADATA },
    );
    await expect(client.readDefaultBaseJobTemplate("ecs")).rejects.toThrow("nope");
    fail = false;
    expect(await client.readDefaultBaseJobTemplate("ecs")).not.toBeNull();
  });

  it("keeps Python floats from responses and writes them back as floats", async () => {
    const { client, fake } = setup((call) =>
      call.method === "GET"
        ? { status: 200, body: '{"name":"p","base_job_template":{"variables":{"cpu":1.0,"n":1}}}' }
        : { status: 204 },
    );
    const pool = await client.readWorkPool("p");
    const variables = pool?.base_job_template.variables ?? {};
    expect(isPyFloat(variables.cpu)).toBe(true);
    expect(isPyFloat(variables.n)).toBe(false);
    await client.updateWorkPoolTemplate("p", pool?.base_job_template as never);
    expect(fake.calls.at(-1)?.body).toBe('{"base_job_template":{"variables":{"cpu":1.0,"n":1}}}');
  });
});

describe("flowRunFilterBody", () => {
  it("sorts by expected start unless told, and by id when a pager asks for a total order", () => {
    expect(flowRunFilterBody({}).sort).toBe("EXPECTED_START_TIME_ASC");
    expect(flowRunFilterBody({ limit: 200, offset: 400, sort: "ID_DESC" })).toEqual({
      sort: "ID_DESC",
      limit: 200,
      offset: 400,
    });
  });

  it("asks for runs due by a time through next_scheduled_start_time, with an explicit offset", () => {
    const body = flowRunFilterBody({ scheduledBefore: new Date(Date.UTC(2026, 11, 7, 3, 0, 0)) });
    expect(body.flow_runs).toEqual({
      next_scheduled_start_time: { before_: "2026-12-07T03:00:00.000+00:00" },
    });
  });
});
