import { describe, expect, it } from "vitest";
import { PrefectClient, type PrefectClientOptions } from "../../../core/prefect/client.ts";
import { PrefectApiError, TransientError } from "../../../core/shared/errors.ts";
import { API, type FetchCall, fakeClock, fakeFetch, networkError, type Reply, sequence } from "./fakes.ts";

const RUN = { id: "r1", name: "happy-run", state_type: "SCHEDULED" };

function setup(route: (call: FetchCall) => Reply, options: Partial<PrefectClientOptions> = {}) {
  const fake = fakeFetch(route);
  const clock = fakeClock();
  const requests: { status: number; path: string }[] = [];
  const client = new PrefectClient({
    apiUrl: `${API}/`,
    fetch: fake.fetch,
    clock,
    random: () => 0.5,
    onRequest: (info) => requests.push({ status: info.status, path: info.path }),
    ...options,
  });
  return { client, fake, clock, requests };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("PrefectClient retries", () => {
  it("retries a 503 with jittered backoff, then returns the success", async () => {
    const { client, fake, clock, requests } = setup(
      sequence({ status: 503, body: {} }, { status: 200, body: RUN }),
    );
    const run = await client.readFlowRun("r1");
    expect(run?.name).toBe("happy-run");
    expect(fake.calls).toHaveLength(2);
    expect(clock.sleeps).toEqual([375]); // equal jitter: 500 ms base · 2^0 · (0.5 + 0.5 · random 0.5)
    expect(requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it("honours Retry-After in seconds and as an HTTP-date (via the injected clock)", async () => {
    const { client, clock } = setup(
      sequence(
        { status: 429, headers: { "Retry-After": "3" } },
        { status: 503, headers: { "Retry-After": "Sat, 28 Nov 2026 12:00:10 GMT" } },
        { status: 200, body: RUN },
      ),
      { random: () => 0 },
    );
    await client.readFlowRun("r1");
    // 3 s, then the date: 12:00:10 − (12:00:00 + 3 s already slept) = 7 s
    expect(clock.sleeps).toEqual([3000, 7000]);
  });

  it("does not sleep through a Retry-After longer than maxRetryAfterMs", async () => {
    const { client, fake, clock } = setup(() => ({ status: 429, headers: { "Retry-After": "600" } }));
    const error = await rejection(client.readFlowRun("r1"));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterSeconds).toBe(600);
    expect(fake.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up after maxRetries with a retryable TransientError carrying the API error", async () => {
    const { client, fake } = setup(() => ({ status: 502, body: { detail: "bad gateway" } }), {
      maxRetries: 2,
    });
    const error = await rejection(client.readFlowRun("r1"));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryable).toBe(true);
    expect((error as Error).message).toContain("bad gateway");
    expect((error as Error).cause).toBeInstanceOf(PrefectApiError);
    expect(((error as Error).cause as PrefectApiError).status).toBe(502);
    expect(fake.calls).toHaveLength(3);
  });

  it("does not retry a 500 (Prefect's client does not either)", async () => {
    const { client, fake } = setup(() => ({
      status: 500,
      body: { exception_message: "Internal Server Error" },
    }));
    const error = await rejection(client.readFlowRun("r1"));
    expect(error).toBeInstanceOf(PrefectApiError);
    expect((error as PrefectApiError).detail).toBe("Internal Server Error");
    expect(fake.calls).toHaveLength(1);
  });

  it("retries network errors, then throws a TransientError with the cause", async () => {
    const boom = networkError("ECONNRESET");
    const { client, fake, clock } = setup(() => boom, { maxRetries: 3 });
    const error = await rejection(client.readFlowRun("r1"));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("ECONNRESET");
    expect((error as Error).cause).toBe(boom);
    expect(fake.calls).toHaveLength(4);
    expect(clock.sleeps).toHaveLength(3);
  });

  it("recovers when a network error is followed by a success", async () => {
    const { client, fake } = setup(sequence(networkError("ECONNRESET"), { status: 200, body: RUN }));
    expect((await client.readFlowRun("r1"))?.id).toBe("r1");
    expect(fake.calls).toHaveLength(2);
  });

  it("fails fast on connection refused before the server was ever reached (as Prefect's client)", async () => {
    const { client, fake, clock } = setup(() => networkError("ECONNREFUSED"));
    const error = await rejection(client.readFlowRun("r1"));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect(fake.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("retries connection refused once the server has answered before", async () => {
    const { client, fake } = setup(
      sequence({ status: 200, body: RUN }, networkError("ECONNREFUSED"), { status: 200, body: RUN }),
    );
    await client.readFlowRun("r1");
    expect((await client.readFlowRun("r1"))?.id).toBe("r1");
    expect(fake.calls).toHaveLength(3);
  });

  it("backs off a refused connection like any transient error: never less than half the step", async () => {
    const { client, clock } = setup(
      sequence(
        { status: 200, body: RUN },
        networkError("ECONNREFUSED"),
        networkError("ECONNREFUSED"),
        networkError("ECONNREFUSED"),
        { status: 200, body: RUN },
      ),
      { random: () => 0 },
    );
    await client.readFlowRun("r1");
    expect((await client.readFlowRun("r1"))?.id).toBe("r1");
    // random 0 (the shortest waits): 250, 500, 1000 ms — not 0 ms each, as full jitter allowed.
    expect(clock.sleeps).toEqual([250, 500, 1000]);
  });

  it("logs retries of cosmetic calls (heartbeat) at debug, of others at warn", async () => {
    const lines: { level: string; message: string }[] = [];
    const log = (level: string) => (message: string) => lines.push({ level, message });
    const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
    const next = sequence({ status: 503 }, { status: 200 }, { status: 503 }, { status: 200, body: RUN });
    const { client } = setup((call) => (call.path.startsWith("/csrf-token") ? { status: 422 } : next()), {
      logger,
    });
    await client.heartbeat("pool", "pushpool", 30);
    await client.readFlowRun("r1");
    const retries = lines.filter((l) => l.message === "Prefect API request failed, retrying");
    expect(retries.map((l) => l.level)).toEqual(["debug", "warn"]);
  });

  it("times out a hanging request with AbortSignal.timeout and retries it", async () => {
    const { client, fake } = setup(sequence("hang", { status: 200, body: RUN }), { timeoutMs: 20 });
    expect((await client.readFlowRun("r1"))?.id).toBe("r1");
    expect(fake.calls).toHaveLength(2);
    const stuck = setup(() => "hang", { timeoutMs: 10, maxRetries: 1 });
    const error = await rejection(stuck.client.readFlowRun("r1"));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("timed out");
  });
});

describe("PrefectClient errors", () => {
  it("summarises a request-validation 422 as loc: msg, without the echoed request body", async () => {
    const body = {
      exception_message: "Invalid request received.",
      exception_detail: [
        {
          type: "extra_forbidden",
          loc: ["body", "state", "bogus"],
          msg: "Extra inputs are not permitted",
          input: 1,
        },
        { type: "missing", loc: ["body", "state", "type"], msg: "Field required", input: {} },
      ],
      request_body: { state: { message: "top-secret-value" } },
    };
    const { client } = setup(() => ({ status: 422, body }));
    const error = (await rejection(client.setState("r1", { type: "PENDING" }))) as PrefectApiError;
    expect(error).toBeInstanceOf(PrefectApiError);
    expect(error.status).toBe(422);
    expect(error.detail).toBe(
      "Invalid request received. body.state.bogus: Extra inputs are not permitted; body.state.type: Field required",
    );
    expect(error.message).not.toContain("top-secret-value");
    expect(error.retryable).toBe(false);
  });

  it("keeps a plain {detail} text and a pydantic detail list", async () => {
    const { client } = setup(
      sequence(
        { status: 409, body: { detail: "Work pool already exists." } },
        { status: 422, body: { detail: [{ loc: ["query", "limit"], msg: "too big" }] } },
      ),
    );
    expect(((await rejection(client.readWorkPool("p"))) as PrefectApiError).detail).toBe(
      "Work pool already exists.",
    );
    expect(((await rejection(client.readWorkPool("p"))) as PrefectApiError).detail).toBe(
      "query.limit: too big",
    );
  });

  it("maps 404 to null (or undefined for variables) where the port says so", async () => {
    const { client } = setup(() => ({ status: 404, body: { detail: "Not found" } }));
    expect(await client.readFlowRun("r1")).toBeNull();
    expect(await client.readDeployment("d1")).toBeNull();
    expect(await client.readDeploymentByName("f", "d")).toBeNull();
    expect(await client.readFlow("f1")).toBeNull();
    expect(await client.readWorkPool("p")).toBeNull();
    expect(await client.readBlockDocument("b1")).toBeNull();
    expect(await client.readBlockDocumentByName("json", "x")).toBeNull();
    expect(await client.readVariable("v")).toBeUndefined();
  });

  it("throws on 404 where the port has no null (set_state of an unknown run)", async () => {
    const { client } = setup(() => ({ status: 404, body: { detail: "Flow run not found" } }));
    const error = (await rejection(client.setState("r1", { type: "PENDING" }))) as PrefectApiError;
    expect(error.status).toBe(404);
    expect(error.message).toBe("Prefect API POST /flow_runs/r1/set_state → 404: Flow run not found");
  });
});

describe("PrefectClient headers and auth", () => {
  const ok = (): Reply => ({ status: 200, body: RUN });

  it("sends Basic auth from the auth string, API version and a pushpool User-Agent", async () => {
    const { client, fake } = setup(ok, { authString: "admin:s3cr3t" });
    await client.readFlowRun("r1");
    const headers = fake.calls[0]?.headers ?? {};
    expect(headers.authorization).toBe(`Basic ${Buffer.from("admin:s3cr3t").toString("base64")}`);
    expect(headers["x-prefect-api-version"]).toBe("0.8.4");
    expect(headers["user-agent"]).toMatch(/^pushpool\/\d+\.\d+\.\d+/);
    expect(headers["user-agent"]).not.toMatch(/^prefect\//);
    expect(fake.calls[0]?.url.href).toBe(`${API}/flow_runs/r1`);
  });

  it("sends Bearer for an API key, prefers the auth string when both are set, sends none without", async () => {
    const cloud = setup(ok, { apiKey: "pnu_key123" });
    await cloud.client.readFlowRun("r1");
    expect(cloud.fake.calls[0]?.headers.authorization).toBe("Bearer pnu_key123");
    const both = setup(ok, { apiKey: "pnu_key123", authString: "u:p" });
    await both.client.readFlowRun("r1");
    expect(both.fake.calls[0]?.headers.authorization).toMatch(/^Basic /);
    const none = setup(ok);
    await none.client.readFlowRun("r1");
    expect(none.fake.calls[0]?.headers.authorization).toBeUndefined();
  });

  it("keeps secrets out of error messages, even when the server echoes them", async () => {
    const basic = Buffer.from("admin:hunter2-pw").toString("base64");
    const { client } = setup(
      () => ({ status: 401, body: { detail: `bad credentials admin:hunter2-pw ${basic}` } }),
      {
        authString: "admin:hunter2-pw",
        apiKey: "pnu_topsecret",
      },
    );
    const error = (await rejection(client.readFlowRun("r1"))) as PrefectApiError;
    expect(error.status).toBe(401);
    expect(error.message).not.toContain("hunter2-pw");
    expect(error.message).not.toContain(basic);
    expect(error.message).toContain("***");
  });
});
