/**
 * PrefectClient against its own Prefect server with Basic auth and CSRF protection on: 401s,
 * authenticated reads and writes, one CSRF token for many writes, no secret in error text.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PrefectClient } from "../../core/prefect/client.ts";
import { PrefectApiError } from "../../core/shared/errors.ts";
import { PrefectAdmin } from "./helpers/prefectAdmin.ts";
import { type PrefectServer, startPrefectServer } from "./prefectServer.ts";

const AUTH = "admin:s3cr3t-pp";
let server: PrefectServer;

beforeAll(async () => {
  server = await startPrefectServer({
    // Its own server (auth and CSRF on), on the run's database kind (PUSHPOOL_PEER_DB).
    database: inject("peerDatabase"),
    env: { PREFECT_SERVER_API_AUTH_STRING: AUTH, PREFECT_SERVER_CSRF_PROTECTION_ENABLED: "true" },
  });
});

afterAll(async () => {
  await server?.stop();
});

async function failure(promise: Promise<unknown>): Promise<PrefectApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrefectApiError);
  return error as PrefectApiError;
}

describe("PrefectClient on a server with Basic auth and CSRF", () => {
  it("without credentials: 401 Unauthorized", async () => {
    const client = new PrefectClient({ apiUrl: server.apiUrl });
    const error = await failure(client.readWorkPool("any"));
    expect(error.status).toBe(401);
    expect(error.detail).toBe("Unauthorized");
    expect(error.retryable).toBe(false);
  });

  it("with the auth string: reads and writes work, one CSRF token serves every write", async () => {
    const trips: { method: string; path: string; status: number }[] = [];
    const client = new PrefectClient({
      apiUrl: server.apiUrl,
      authString: AUTH,
      onRequest: (t) => trips.push(t),
    });
    const admin = new PrefectAdmin({ apiUrl: server.apiUrl, authString: AUTH });
    const { pool, deployment } = await admin.createPoolWithDeployment();

    expect((await client.readWorkPool(pool.name))?.id).toBe(pool.id);
    await client.heartbeat(pool.name, "pushpool-auth", 30);
    const run = await client.createFlowRun(deployment.id, { idempotency_key: randomUUID() });
    const transition = randomUUID();
    const claimed = await client.setState(run.id, {
      type: "PENDING",
      name: "Pending",
      state_details: { flow_run_id: run.id, transition_id: transition },
    });
    expect(claimed.status).toBe("ACCEPT");
    await client.setInfrastructurePid(run.id, "pid-1");
    await client.updateFlowRunLabels(run.id, { "prefect.worker.name": "pushpool-auth" });
    await client.createLogs([
      {
        name: "pushpool",
        level: 20,
        message: "hi",
        timestamp: new Date().toISOString(),
        flow_run_id: run.id,
      },
    ]);
    expect((await client.readFlowRun(run.id))?.infrastructure_pid).toBe("pid-1");
    expect((await client.readWorkPool(pool.name))?.status).toBe("READY");

    const writes = trips.filter((t) => t.method !== "GET");
    expect(writes).toHaveLength(6);
    expect(writes.every((t) => t.status >= 200 && t.status < 300)).toBe(true);
    expect(trips.filter((t) => t.path === "/csrf-token").map((t) => t.status)).toEqual([200]);
  });

  it("without a CSRF token a raw write is refused with 403, so the client really sends one", async () => {
    const res = await fetch(`${server.apiUrl}/flows/`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${Buffer.from(AUTH).toString("base64")}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ name: "raw" }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ detail: "Missing CSRF token." });
  });

  it("a stale token (replaced by another fetch for the same client id) is refetched once after the 403", async () => {
    const trips: { path: string; status: number }[] = [];
    let clientId: string | undefined;
    const spy: typeof fetch = (input, init) => {
      clientId ??= (init?.headers as Record<string, string> | undefined)?.["Prefect-Csrf-Client"];
      return fetch(input, init);
    };
    const client = new PrefectClient({
      apiUrl: server.apiUrl,
      authString: AUTH,
      fetch: spy,
      onRequest: (t) => trips.push(t),
    });
    const admin = new PrefectAdmin({ apiUrl: server.apiUrl, authString: AUTH });
    const { deployment } = await admin.createPoolWithDeployment();
    await client.createFlowRun(deployment.id, {});
    // Another process with the same client id asks for a token: the server replaces ours.
    expect(clientId).toMatch(/^[0-9a-f-]{36}$/);
    await fetch(`${server.apiUrl}/csrf-token?client=${clientId}`, {
      headers: { Authorization: `Basic ${Buffer.from(AUTH).toString("base64")}` },
    });
    const run = await client.createFlowRun(deployment.id, {});
    expect(run.id).toEqual(expect.any(String));
    const statuses = trips.map((t) => `${t.path.startsWith("/csrf") ? "csrf" : "write"}:${t.status}`);
    expect(statuses).toEqual(["csrf:200", "write:201", "write:403", "csrf:200", "write:201"]);
  });

  it("wrong credentials: 401, and the secret appears nowhere in the error", async () => {
    const wrong = "admin:wrong-pass-123";
    const client = new PrefectClient({ apiUrl: server.apiUrl, authString: wrong });
    const error = await failure(client.setInfrastructurePid(randomUUID(), "pid"));
    expect(error.status).toBe(401);
    const text = `${error.message} ${error.detail} ${JSON.stringify(error)} ${String(error.stack)}`;
    for (const secret of [
      wrong,
      "wrong-pass-123",
      Buffer.from(wrong).toString("base64"),
      AUTH,
      "s3cr3t-pp",
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
