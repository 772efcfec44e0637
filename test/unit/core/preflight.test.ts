/**
 * The start-up checks (core/runtime/preflight.ts) over a scripted fetch: each bad configuration
 * gets its own message naming the fix; `--type` creates a missing pool with the registry's template.
 */
import { describe, expect, it } from "vitest";
import {
  assertPreflight,
  PreflightError,
  type PreflightOptions,
  runPreflight,
} from "../../../core/runtime/preflight.ts";
import { type Credentials, isCloudUrl, refused } from "../../../core/runtime/preflightHints.ts";
import { type FetchCall, fakeFetch, networkError, type Reply } from "../prefect/fakes.ts";

const BASE = "http://prefect.test";
const TEMPLATE = { job_configuration: { command: "{{ command }}" }, variables: { properties: {} } };
const METADATA = { prefect: { process: { type: "process", default_base_job_configuration: TEMPLATE } } };
const POOL = { id: "p1", name: "mine", type: "process", base_job_template: TEMPLATE };

function options(route: (call: FetchCall) => Reply, extra: Partial<PreflightOptions> = {}) {
  const fake = fakeFetch(route);
  return {
    fake,
    options: {
      apiUrl: `${BASE}/api`,
      pools: ["mine"],
      servedTypes: ["process"],
      fetch: fake.fetch,
      ...extra,
    } as PreflightOptions,
  };
}

/** A healthy server whose pools are `pools` (by name). */
function server(
  pools: Record<string, unknown>,
  overrides: (call: FetchCall) => Reply | undefined = () => undefined,
) {
  return (call: FetchCall): Reply => {
    const answer = overrides(call);
    if (answer) return answer;
    const path = call.url.pathname;
    if (path === "/api/health") return { status: 200, body: true };
    if (path === "/api/csrf-token") return { status: 422, body: { detail: "CSRF protection is disabled." } };
    if (path === "/api/collections/views/aggregate-worker-metadata") return { status: 200, body: METADATA };
    const pool = /^\/api\/work_pools\/([^/]+)$/.exec(path);
    if (pool && call.method === "GET") {
      const found = pools[decodeURIComponent(pool[1] ?? "")];
      return found ? { status: 200, body: found } : { status: 404, body: { detail: "Work pool not found." } };
    }
    return { status: 404, body: { detail: "Not Found" } };
  };
}

async function failure(o: PreflightOptions): Promise<PreflightError> {
  const error = await assertPreflight(o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PreflightError);
  return error as PreflightError;
}

describe("start-up checks: the API", () => {
  it("a refused connection names PREFECT_API_URL, the URL tried and the fix", async () => {
    const { options: o } = options(() => networkError("ECONNREFUSED"));
    const error = await failure(o);
    expect(error.message).toBe(
      "cannot reach the Prefect API at PREFECT_API_URL=http://prefect.test/api: connection refused (ECONNREFUSED): start the server (prefect server start) or set PREFECT_API_URL to its address, e.g. http://127.0.0.1:4200/api",
    );
  });

  it("an unknown host says so", async () => {
    const { options: o } = options(() => networkError("ENOTFOUND"));
    expect((await failure(o)).message).toContain("host not found (ENOTFOUND)");
  });

  it("a URL without /api (404 on /health, its /api/health answers) gets the corrected URL", async () => {
    const { options: o, fake } = options(server({}), { apiUrl: BASE });
    const error = await failure(o);
    expect(error.message).toContain(`PREFECT_API_URL=${BASE} is the server, not its API`);
    expect(error.message).toMatch(/: set PREFECT_API_URL=http:\/\/prefect\.test\/api$/);
    expect(fake.calls.map((c) => c.url.pathname)).toEqual(["/health", "/api/health"]);
  });

  it("a URL answered by the UI (a web page) is treated the same way", async () => {
    const ui = server({}, (call) =>
      call.url.pathname === "/health"
        ? { status: 200, body: "<!doctype html><html></html>", headers: { "content-type": "text/html" } }
        : undefined,
    );
    const { options: o } = options(ui, { apiUrl: `${BASE}/` });
    expect((await failure(o)).message).toContain("set PREFECT_API_URL=http://prefect.test/api");
  });

  it("a URL that is no Prefect API at all is not given a wrong correction", async () => {
    const { options: o } = options(() => ({ status: 404, body: { detail: "Not Found" } }), {
      apiUrl: `${BASE}/v1`,
    });
    const error = await failure(o);
    expect(error.message).toContain("does not answer like a Prefect API (GET /health → 404)");
    expect(error.message).not.toContain("set PREFECT_API_URL=http://prefect.test/v1/api");
  });
});

describe("start-up checks: credentials", () => {
  it("a 401 from a Basic-auth server without credentials asks for PREFECT_API_AUTH_STRING", async () => {
    const route = server({}, (call) =>
      call.url.pathname.startsWith("/api/work_pools")
        ? { status: 401, body: { exception_message: "Unauthorized" } }
        : undefined,
    );
    const { options: o } = options(route);
    expect((await failure(o)).message).toBe(
      "the server answered 401 Unauthorized: it requires Basic auth and no credential is set: set PREFECT_API_AUTH_STRING=user:password (the server's PREFECT_SERVER_API_AUTH_STRING)",
    );
  });

  const SELF = "http://prefect.test/api";
  const CLOUD = "https://api.prefect.cloud/api/accounts/a1/workspaces/w1";
  const cases: [string, number, Credentials, RegExp][] = [
    ["wrong auth string", 401, { apiUrl: SELF, authString: "u:bad" }, /PREFECT_API_AUTH_STRING was refused/],
    [
      "Cloud key on a Basic-auth server",
      401,
      { apiUrl: SELF, apiKey: "pnu_x" },
      /PREFECT_API_KEY is a Prefect Cloud key.*set PREFECT_API_AUTH_STRING/,
    ],
    ["Cloud without a key", 401, { apiUrl: CLOUD }, /no API key: set PREFECT_API_KEY/],
    [
      "Cloud with an auth string",
      401,
      { apiUrl: CLOUD, authString: "u:p" },
      /self-hosted servers: set PREFECT_API_KEY/,
    ],
    ["Cloud refusing a key", 401, { apiUrl: CLOUD, apiKey: "pnu_x" }, /valid, unexpired key/],
    [
      "Cloud forbidding a key",
      403,
      { apiUrl: CLOUD, apiKey: "pnu_x" },
      /403 Forbidden.*access to the workspace/,
    ],
  ];
  it.each(cases)("%s → its own fix", (_name, status, credentials, expected) => {
    const row = refused(status, credentials);
    expect(row.ok).toBe(false);
    expect(`${row.detail}: ${row.fix}`).toMatch(expected);
  });

  it("knows a Cloud URL", () => {
    expect(isCloudUrl(CLOUD)).toBe(true);
    expect(isCloudUrl("https://prefect.example.com/api/accounts/x/workspaces/y")).toBe(true);
    expect(isCloudUrl(SELF)).toBe(false);
  });

  it("sends the auth string it was given and never shows it", async () => {
    const { options: o, fake } = options(server({ mine: POOL }), { authString: "admin:s3cret-pw" });
    const result = await runPreflight(o);
    expect(result.rows.every((r) => r.ok)).toBe(true);
    const authed = fake.calls.find((c) => c.url.pathname === "/api/work_pools/mine");
    expect(authed?.headers.authorization).toBe(`Basic ${Buffer.from("admin:s3cret-pw").toString("base64")}`);
    expect(JSON.stringify(result.rows)).not.toContain("s3cret");
  });
});

describe("start-up checks: pools", () => {
  it("a missing pool without --type: the command that creates it (and --type when the command has it)", async () => {
    const { options: o } = options(server({}), { pools: ["nope"] });
    expect((await failure(o)).message).toBe(
      "work pool 'nope' does not exist: create it with `prefect work-pool create nope --type process`",
    );
    const withOption = options(server({}), { pools: ["nope"], typeOption: true }).options;
    expect((await failure(withOption)).message).toMatch(/--type process` or pass --type process$/);
  });

  it("--type creates a missing pool with the type's default template from the collection registry", async () => {
    const created: unknown[] = [];
    const route = server({}, (call) => {
      if (call.method === "POST" && call.url.pathname === "/api/work_pools/") {
        created.push(JSON.parse(call.body ?? "null"));
        return { status: 201, body: POOL };
      }
      return undefined;
    });
    const { options: o } = options(route, { createType: "process" });
    const result = await assertPreflight(o);
    expect(created).toEqual([{ name: "mine", type: "process", base_job_template: TEMPLATE }]);
    expect(result.pools.get("mine")?.id).toBe("p1");
    expect(result.rows.at(-1)?.detail).toBe("created, type 'process'");
  });

  it("a pool created meanwhile by someone else (409) is read back", async () => {
    let reads = 0;
    const route = server({}, (call) => {
      if (call.method === "POST" && call.url.pathname === "/api/work_pools/")
        return { status: 409, body: { detail: "A work pool with this name already exists." } };
      if (call.url.pathname === "/api/work_pools/mine")
        return reads++ === 0 ? { status: 404 } : { status: 200, body: POOL };
      return undefined;
    });
    const result = await assertPreflight(options(route, { createType: "process" }).options);
    expect(result.pools.get("mine")?.id).toBe("p1");
  });

  it("a pool of a type no backend serves lists the served types", async () => {
    const { options: o } = options(server({ mine: { ...POOL, type: "kubernetes" } }));
    expect((await failure(o)).message).toContain(
      "work pool 'mine' has type 'kubernetes', which no backend here serves (served: process)",
    );
  });

  it("--type of a type not served here is refused before anything is created", async () => {
    const { options: o, fake } = options(server({}), { createType: "kubernetes" });
    expect((await failure(o)).message).toBe(
      "--type kubernetes: no backend here serves that type (served: process): pass --type process",
    );
    expect(fake.calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("every check passes on a healthy server with the pool", async () => {
    const result = await assertPreflight(options(server({ mine: POOL })).options);
    expect(result.rows.map((r) => [r.check, r.ok])).toEqual([
      ["Prefect API reachable", true],
      ["Prefect API credentials", true],
      ["work pool 'mine'", true],
    ]);
  });
});

describe("start-up checks: a busy server", () => {
  it("a 503 on /health is tried again (three tries in all), then passes", async () => {
    let healthCalls = 0;
    const { options: o } = options(
      server({ mine: POOL }, (call) => {
        if (call.url.pathname !== "/api/health") return undefined;
        healthCalls++;
        return healthCalls < 3 ? { status: 503, body: { detail: "database is locked" } } : undefined;
      }),
    );
    await expect(assertPreflight(o)).resolves.toBeDefined();
    expect(healthCalls).toBe(3);
  });

  it("a server still busy after three tries is reported, not retried forever", async () => {
    let healthCalls = 0;
    const { options: o } = options(
      server({ mine: POOL }, (call) => {
        if (call.url.pathname !== "/api/health") return undefined;
        healthCalls++;
        return { status: 503, body: { detail: "database is locked" } };
      }),
    );
    await failure(o);
    expect(healthCalls).toBe(3);
  });
});
