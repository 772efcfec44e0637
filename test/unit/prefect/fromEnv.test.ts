import { describe, expect, it } from "vitest";
import { prefectClientFromEnv } from "../../../core/prefect/fromEnv.ts";
import { ConfigError } from "../../../core/shared/errors.ts";
import { API, fakeClock, fakeFetch } from "./fakes.ts";

async function authorizationOf(env: Record<string, string | undefined>): Promise<string | undefined> {
  const fake = fakeFetch(() => ({ status: 200, body: { id: "r1" } }));
  await prefectClientFromEnv(env, { fetch: fake.fetch, clock: fakeClock() }).readFlowRun("r1");
  expect(fake.calls[0]?.url.href).toBe(`${API}/flow_runs/r1`);
  return fake.calls[0]?.headers.authorization;
}

describe("prefectClientFromEnv", () => {
  it("requires PREFECT_API_URL and names it", () => {
    expect(() => prefectClientFromEnv({})).toThrow(ConfigError);
    expect(() => prefectClientFromEnv({ PREFECT_API_URL: "  " })).toThrow(/PREFECT_API_URL/);
    expect(() => prefectClientFromEnv({ PREFECT_API_URL: "ftp://x/api" })).toThrow(/http/);
  });

  it("refuses credentials inside the URL without echoing them", () => {
    const error = (() => {
      try {
        prefectClientFromEnv({ PREFECT_API_URL: "http://admin:pw-in-url@host/api" });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain("PREFECT_API_AUTH_STRING");
    expect(error?.message).not.toContain("pw-in-url");
  });

  it("reads the auth string (Basic) and the API key (Bearer), preferring the auth string", async () => {
    expect(await authorizationOf({ PREFECT_API_URL: API, PREFECT_API_KEY: "pnu_k" })).toBe("Bearer pnu_k");
    expect(
      await authorizationOf({ PREFECT_API_URL: API, PREFECT_API_AUTH_STRING: "a:b", PREFECT_API_KEY: "k" }),
    ).toBe(`Basic ${Buffer.from("a:b").toString("base64")}`);
    expect(await authorizationOf({ PREFECT_API_URL: API, PREFECT_API_KEY: "" })).toBeUndefined();
  });

  it("reads Prefect's retry and timeout settings and rejects bad numbers", async () => {
    const fake = fakeFetch(() => ({ status: 503 }));
    const client = prefectClientFromEnv(
      { PREFECT_API_URL: API, PREFECT_CLIENT_MAX_RETRIES: "1", PREFECT_API_REQUEST_TIMEOUT: "2.5" },
      { fetch: fake.fetch, clock: fakeClock() },
    );
    await expect(client.readFlowRun("r1")).rejects.toThrow(/503/);
    expect(fake.calls).toHaveLength(2);
    expect(() => prefectClientFromEnv({ PREFECT_API_URL: API, PREFECT_CLIENT_MAX_RETRIES: "two" })).toThrow(
      /PREFECT_CLIENT_MAX_RETRIES/,
    );
  });

  it("lets overrides win over the environment", async () => {
    const fake = fakeFetch(() => ({ status: 200, body: { id: "r1" } }));
    const client = prefectClientFromEnv({}, { apiUrl: "http://other.test/api", fetch: fake.fetch });
    await client.readFlowRun("r1");
    expect(fake.calls[0]?.url.host).toBe("other.test");
  });
});
