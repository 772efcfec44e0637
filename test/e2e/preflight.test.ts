/**
 * The start-up checks as a user meets them: the real `pushpool local` / `pushpool doctor` as
 * subprocesses against the real Prefect server (and one with Basic auth). Each bad configuration
 * makes `pushpool local` exit non-zero by itself — a 5 s kill timer would show it did not — with
 * the documented hint on stderr; `--type process` creates the missing pool as Prefect's CLI does.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort, PREFECT_BIN, REPO_ROOT } from "../../functions/local/prefectServer.ts";
import { type PrefectServer, startPrefectServer } from "../peers/prefectServer.ts";
import { apiUrl, createProcessPool, rest } from "./harness.ts";

const BIN = join(REPO_ROOT, "functions", "local", "bin", "pushpool.js");
const KILL_AFTER_MS = 5_000;

/** The caller's environment without any Prefect or pushpool setting, plus `extra`. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("PREFECT_") && !k.startsWith("PUSHPOOL_")) env[k] = v;
  return { ...env, ...extra };
}

interface Exit {
  code: number | null;
  /** True when the kill timer had to stop it (it did not exit by itself). */
  killed: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `pushpool <args>`; kills it after `killAfterMs` (the exit then says so). */
async function run(args: string[], env: Record<string, string>, killAfterMs = KILL_AFTER_MS): Promise<Exit> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, killAfterMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, killed, stdout, stderr };
}

/** `pushpool local` must stop by itself, non-zero, with exactly one line naming the fix. */
async function refusesToStart(env: Record<string, string>, args: string[] = []): Promise<string> {
  const exit = await run(["local", ...args], env);
  expect(exit.killed, `still running after ${KILL_AFTER_MS} ms:\n${exit.stdout}${exit.stderr}`).toBe(false);
  expect(exit.code).toBe(1);
  expect(exit.stdout).not.toContain("local stack running");
  const lines = exit.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0] ?? "";
}

let pool: string;

beforeAll(async () => {
  pool = await createProcessPool();
});

describe("pushpool local refuses a bad configuration at once, with the fix", () => {
  it("API unreachable: names PREFECT_API_URL and the URL tried", async () => {
    const url = `http://127.0.0.1:${await freePort()}/api`;
    const line = await refusesToStart({ PREFECT_API_URL: url, PUSHPOOL_POOLS: pool });
    expect(line).toBe(
      `pushpool local: cannot reach the Prefect API at PREFECT_API_URL=${url}: connection refused (ECONNREFUSED): start the server (prefect server start) or set PREFECT_API_URL to its address, e.g. http://127.0.0.1:4200/api`,
    );
  });

  it("an unknown host", async () => {
    const line = await refusesToStart({ PREFECT_API_URL: "http://pushpool-no-such-host.invalid:4200/api" }, [
      "--pools",
      pool,
    ]);
    expect(line).toMatch(
      /cannot reach the Prefect API at PREFECT_API_URL=http:\/\/pushpool-no-such-host\.invalid:4200\/api: (host not found|host name lookup failed)/,
    );
  });

  it("a URL without /api: the corrected URL", async () => {
    const server = apiUrl().replace(/\/api$/, "");
    const line = await refusesToStart({ PREFECT_API_URL: server }, ["--pools", pool]);
    expect(line).toBe(
      `pushpool local: PREFECT_API_URL=${server} is the server, not its API (the API answers under /api): set PREFECT_API_URL=${server}/api`,
    );
  });

  it("a pool that does not exist: the command that creates it, or --type", async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    const line = await refusesToStart({ PREFECT_API_URL: apiUrl() }, ["--pools", missing]);
    expect(line).toBe(
      `pushpool local: work pool '${missing}' does not exist: create it with \`prefect work-pool create ${missing} --type process\` or pass --type process`,
    );
  });

  it("a pool whose type no backend here serves: the served types", async () => {
    const name = `k8s-${randomUUID().slice(0, 8)}`;
    await rest("POST", "/work_pools/", { name, type: "kubernetes" });
    const line = await refusesToStart({ PREFECT_API_URL: apiUrl() }, ["--pools", name]);
    expect(line).toContain(
      `work pool '${name}' has type 'kubernetes', which no backend here serves (served: process)`,
    );
  });

  it("a Python without prefect: the one-line fix", async () => {
    const line = await refusesToStart(
      { PREFECT_API_URL: apiUrl(), PUSHPOOL_PYTHON: "/nonexistent/bin/python" },
      ["--pools", pool],
    );
    expect(line).toBe(
      "pushpool local: flows cannot run: /nonexistent/bin/python (PUSHPOOL_PYTHON) was not found: set PUSHPOOL_PYTHON=/path/to/venv/bin/python or activate the venv that has prefect",
    );
  });
});

describe("pushpool local --type process", () => {
  let local: ChildProcess | undefined;
  afterAll(() => {
    if (local && local.exitCode === null) local.kill("SIGKILL");
  });

  it("creates the missing pool with the template `prefect work-pool create --type process` makes", async () => {
    const name = `created-${randomUUID().slice(0, 8)}`;
    local = spawn(process.execPath, [BIN, "local", "--pools", name, "--type", "process"], {
      env: cleanEnv({ PREFECT_API_URL: apiUrl() }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    local.stdout?.on("data", (d) => (output += d));
    local.stderr?.on("data", (d) => (output += d));
    const deadline = Date.now() + 60_000;
    while (!output.includes("local stack running")) {
      if (Date.now() > deadline || local.exitCode !== null) throw new Error(`did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain(`work pool '${name}' created, type 'process'`);
    local.kill("SIGTERM");

    const reference = `reference-${randomUUID().slice(0, 8)}`;
    const cli = spawnSync(PREFECT_BIN, ["work-pool", "create", reference, "--type", "process"], {
      env: { ...process.env, PREFECT_API_URL: apiUrl() },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(cli.status, cli.stderr).toBe(0);
    type Pool = {
      type: string;
      base_job_template: { job_configuration: unknown; variables: { properties: object } };
    };
    const ours = await rest<Pool>("GET", `/work_pools/${name}`);
    const theirs = await rest<Pool>("GET", `/work_pools/${reference}`);
    expect(ours.type).toBe("process");
    expect(ours.base_job_template.job_configuration).toEqual(theirs.base_job_template.job_configuration);
    expect(Object.keys(ours.base_job_template.variables.properties).sort()).toEqual(
      Object.keys(theirs.base_job_template.variables.properties).sort(),
    );
  });
});

describe("pushpool doctor", () => {
  it("prints its table and exits 0 when every check passes", async () => {
    const exit = await run(["doctor", "--pools", pool], { PREFECT_API_URL: apiUrl() }, 60_000);
    expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/^CHECK\s+RESULT\s+DETAIL \/ FIX$/m);
    expect(exit.stdout).toMatch(/^Prefect API reachable\s+ok\s/m);
    expect(exit.stdout).toMatch(new RegExp(`^${pool}: Python for flows\\s+ok\\s+prefect 3\\.`, "m"));
    expect(exit.stdout).toContain("All checks passed.");
  });

  it("exits 1 on a failing check, with the fix in the table", async () => {
    const exit = await run(
      ["doctor", "--pools", `${pool},nope-${randomUUID().slice(0, 6)}`],
      { PREFECT_API_URL: apiUrl(), PUSHPOOL_PYTHON: "/nonexistent/bin/python" },
      60_000,
    );
    expect(exit.code).toBe(1);
    expect(exit.stdout).toMatch(
      /^work pool 'nope-\w+'\s+FAIL\s+work pool 'nope-\w+' does not exist → fix: create it with/m,
    );
    expect(exit.stdout).toMatch(/Python for flows\s+FAIL\s+flows cannot run: .* → fix: set PUSHPOOL_PYTHON=/);
    expect(exit.stdout).toContain("2 check(s) failed.");
  });
});

describe("credentials against a server with Basic auth", () => {
  const AUTH = "admin:pp-preflight-9c4e";
  let server: PrefectServer;
  let authPool: string;

  beforeAll(async () => {
    server = await startPrefectServer({
      database: inject("peerDatabase"),
      env: { PREFECT_SERVER_API_AUTH_STRING: AUTH },
    });
    authPool = `auth-${randomUUID().slice(0, 8)}`;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("no credential: set PREFECT_API_AUTH_STRING", async () => {
    const line = await refusesToStart({ PREFECT_API_URL: server.apiUrl }, ["--pools", authPool]);
    expect(line).toBe(
      "pushpool local: the server answered 401 Unauthorized: it requires Basic auth and no credential is set: set PREFECT_API_AUTH_STRING=user:password (the server's PREFECT_SERVER_API_AUTH_STRING)",
    );
  });

  it("a wrong auth string: says it was refused, never shows it", async () => {
    const line = await refusesToStart(
      { PREFECT_API_URL: server.apiUrl, PREFECT_API_AUTH_STRING: "admin:wrong-pw-77" },
      ["--pools", authPool],
    );
    expect(line).toContain("PREFECT_API_AUTH_STRING was refused");
    expect(line).not.toContain("wrong-pw-77");
  });

  it("a Prefect Cloud key against a Basic-auth server: says so", async () => {
    const line = await refusesToStart(
      { PREFECT_API_URL: server.apiUrl, PREFECT_API_KEY: "pnu_preflightKey123456" },
      ["--pools", authPool],
    );
    expect(line).toContain(
      "PREFECT_API_KEY is a Prefect Cloud key, and this self-hosted server uses Basic auth",
    );
    expect(line).toContain("set PREFECT_API_AUTH_STRING=user:password");
    expect(line).not.toContain("pnu_preflightKey123456");
  });

  it("the right auth string passes the checks (the missing pool is then the problem)", async () => {
    const line = await refusesToStart({ PREFECT_API_URL: server.apiUrl, PREFECT_API_AUTH_STRING: AUTH }, [
      "--pools",
      authPool,
    ]);
    expect(line).toContain(`work pool '${authPool}' does not exist`);
  });
});
