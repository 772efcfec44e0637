import { describe, expect, it } from "vitest";
import { PrefectClient } from "../../../core/prefect/client.ts";
import { PrefectApiError } from "../../../core/shared/errors.ts";
import { API, type FetchCall, fakeClock, fakeFetch, type Reply } from "./fakes.ts";

/** A CSRF-protected server: tokens `t1`, `t2`, … valid for one hour from the fake clock's start. */
function csrfServer(options: { rejectToken?: (token: string) => boolean; tokenStatus?: number } = {}) {
  let issued = 0;
  const route = (call: FetchCall): Reply => {
    if (call.path === "/csrf-token") {
      if (options.tokenStatus)
        return { status: options.tokenStatus, body: { detail: "CSRF protection is disabled." } };
      issued++;
      const client = call.url.searchParams.get("client");
      return {
        status: 200,
        body: { token: `t${issued}`, client, expiration: "2026-11-28T13:00:00.000000Z" },
      };
    }
    if (call.method === "GET") return { status: 200, body: { id: "r1" } };
    const token = call.headers["prefect-csrf-token"];
    if (token === undefined) return { status: 403, body: { detail: "Missing CSRF token." } };
    if (options.rejectToken?.(token)) {
      return { status: 403, body: { detail: "Invalid CSRF token or client identifier." } };
    }
    return { status: 204 };
  };
  const fake = fakeFetch(route);
  const clock = fakeClock();
  const client = new PrefectClient({ apiUrl: API, fetch: fake.fetch, clock, random: () => 0 });
  return { client, fake, clock };
}

const write = (client: PrefectClient) => client.setInfrastructurePid("r1", "pid");

describe("PrefectClient CSRF", () => {
  it("fetches one token lazily on the first write and reuses it for the next writes", async () => {
    const { client, fake } = csrfServer();
    await client.readFlowRun("r1");
    expect(fake.callsTo("/csrf-token")).toHaveLength(0); // reads never need a token
    await write(client);
    await write(client);
    await client.heartbeat("pool", "w", 30);
    expect(fake.callsTo("/csrf-token")).toHaveLength(1);
    const writes = fake.calls.filter((c) => c.method !== "GET");
    const clientId = fake.callsTo("/csrf-token")[0]?.url.searchParams.get("client");
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    for (const call of writes) {
      expect(call.headers["prefect-csrf-token"]).toBe("t1");
      expect(call.headers["prefect-csrf-client"]).toBe(clientId);
    }
  });

  it("prepareWrites: a dispatch's token is fetched while its first read is out, costing no round trip", async () => {
    const { client, fake } = csrfServer();
    client.prepareWrites();
    const read = client.readFlowRun("r1");
    // Both requests are on the wire before either answer: the token fetch runs beside the read.
    expect(fake.calls.map((c) => c.path).sort()).toEqual(["/csrf-token", "/flow_runs/r1"]);
    await read;
    const before = fake.calls.length;
    await write(client);
    expect(fake.calls.slice(before).map((c) => c.path)).toEqual(["/flow_runs/r1"]); // no fetch first
  });

  it("a failed prefetch is not reported by the read beside it: the first write fetches again", async () => {
    let failures = 1;
    let issued = 0;
    const fake = fakeFetch((call) => {
      if (call.path === "/csrf-token") {
        if (failures-- > 0) return { status: 401, body: { detail: "Unauthorized" } };
        return { status: 200, body: { token: `t${++issued}`, expiration: "2026-11-28T13:00:00Z" } };
      }
      if (call.method === "GET") return { status: 200, body: { id: "r1" } };
      return call.headers["prefect-csrf-token"] === "t1"
        ? { status: 204 }
        : { status: 403, body: { detail: "Missing CSRF token." } };
    });
    const client = new PrefectClient({ apiUrl: API, fetch: fake.fetch, clock: fakeClock(), random: () => 0 });
    client.prepareWrites();
    await expect(client.readFlowRun("r1")).resolves.toMatchObject({ id: "r1" });
    await write(client);
    expect(fake.callsTo("/csrf-token")).toHaveLength(2);
    expect(fake.calls.at(-1)?.headers["prefect-csrf-token"]).toBe("t1");
  });

  it("a server with CSRF off answers the first prefetch with 422; no later one asks again", async () => {
    const fake = fakeFetch((call) => {
      if (call.path === "/csrf-token")
        return { status: 422, body: { detail: "CSRF protection is disabled." } };
      return call.method === "GET" ? { status: 200, body: { id: "r1" } } : { status: 204 };
    });
    const client = new PrefectClient({ apiUrl: API, fetch: fake.fetch, clock: fakeClock(), random: () => 0 });
    client.prepareWrites();
    await client.readFlowRun("r1");
    await write(client);
    client.prepareWrites();
    await client.readFlowRun("r1");
    await write(client);
    expect(fake.callsTo("/csrf-token")).toHaveLength(1);
    expect(
      fake.calls
        .filter((c) => c.method !== "GET")
        .every((c) => c.headers["prefect-csrf-token"] === undefined),
    ).toBe(true);
  });

  it("shares one token fetch among concurrent first writes (a second fetch would void the first token)", async () => {
    const { client, fake } = csrfServer();
    await Promise.all([write(client), write(client), write(client)]);
    expect(fake.callsTo("/csrf-token")).toHaveLength(1);
  });

  it("refetches once after a 403 naming CSRF and retries the write", async () => {
    const { client, fake } = csrfServer({ rejectToken: (t) => t === "t1" });
    await write(client);
    expect(fake.callsTo("/csrf-token")).toHaveLength(2);
    const writes = fake.calls.filter((c) => c.method === "PATCH");
    expect(writes.map((c) => c.headers["prefect-csrf-token"])).toEqual(["t1", "t2"]);
  });

  it("gives up with the 403 when the fresh token is refused too", async () => {
    const { client, fake } = csrfServer({ rejectToken: () => true });
    const error = await write(client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrefectApiError);
    expect((error as PrefectApiError).status).toBe(403);
    expect((error as PrefectApiError).detail).toContain("Invalid CSRF token");
    expect(fake.callsTo("/csrf-token")).toHaveLength(2);
  });

  it("refreshes the token shortly before it expires", async () => {
    const { client, fake, clock } = csrfServer();
    await write(client);
    clock.advance(58 * 60_000); // 2 min before expiry: still fresh
    await write(client);
    expect(fake.callsTo("/csrf-token")).toHaveLength(1);
    clock.advance(90_000); // 30 s before expiry: inside the 60 s refresh margin
    await write(client);
    expect(fake.callsTo("/csrf-token")).toHaveLength(2);
    expect(fake.calls.at(-1)?.headers["prefect-csrf-token"]).toBe("t2");
  });

  it.each([422, 404])("treats a %i from /csrf-token as CSRF off and stops asking", async (status) => {
    const fake = fakeFetch((call) =>
      call.path === "/csrf-token"
        ? { status, body: { detail: "CSRF protection is disabled." } }
        : { status: 204 },
    );
    const client = new PrefectClient({ apiUrl: API, fetch: fake.fetch, clock: fakeClock() });
    await write(client);
    await write(client);
    expect(fake.callsTo("/csrf-token")).toHaveLength(1);
    const writes = fake.calls.filter((c) => c.method === "PATCH");
    expect(writes).toHaveLength(2);
    expect(writes[1]?.headers["prefect-csrf-token"]).toBeUndefined();
  });

  it("propagates an auth failure of /csrf-token instead of guessing", async () => {
    const fake = fakeFetch(() => ({ status: 401, body: { exception_message: "Unauthorized" } }));
    const client = new PrefectClient({ apiUrl: API, fetch: fake.fetch, clock: fakeClock() });
    const error = (await write(client).catch((e: unknown) => e)) as PrefectApiError;
    expect(error.status).toBe(401);
    expect(error.detail).toBe("Unauthorized");
  });
});
