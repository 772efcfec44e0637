/**
 * The `pushpool` command as a user runs it: `local` against an existing server, `trigger` from a
 * "CI job", `render` of the run, all as real subprocesses.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, VENV_BIN } from "../../functions/local/prefectServer.ts";
import { apiUrl, createDeployment, createProcessPool, TERMINAL, waitForState } from "./harness.ts";

const BIN = join(REPO_ROOT, "functions", "local", "bin", "pushpool.js");
const SECRET = "cli-e2e-secret-abcdefghijklmnop";
let pool: string;
let ref: string;
let local: ChildProcess;
let output = "";
let webhookUrl = "";

function env(extra: Record<string, string> = {}) {
  return {
    ...process.env,
    PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
    PREFECT_API_URL: apiUrl(),
    PUSHPOOL_WEBHOOK_SECRET: SECRET,
    ...extra,
  };
}

function cli(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: env(extra), encoding: "utf8", timeout: 60_000 });
}

beforeAll(async () => {
  pool = await createProcessPool();
  ({ ref } = await createDeployment({ pool }));
  const port = 20000 + Math.floor(Math.random() * 20000);
  local = spawn(process.execPath, [BIN, "local", "--pools", pool, "--port", String(port), "--tick", "1"], {
    env: env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  local.stdout?.on("data", (d) => (output += d));
  local.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 30_000;
  while (!output.includes("local stack running")) {
    if (Date.now() > deadline || local.exitCode !== null)
      throw new Error(`pushpool local did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  webhookUrl = `http://127.0.0.1:${port}/trigger`;
});

afterAll(async () => {
  if (local && local.exitCode === null) {
    local.kill("SIGTERM");
    await new Promise((r) => local.once("exit", r));
  }
});

describe("pushpool CLI", () => {
  it("prints help for every command and refuses an unknown one", () => {
    const help = cli(["--help"]);
    expect(help.status).toBe(0);
    for (const cmd of ["local", "trigger", "render", "demo"]) {
      expect(help.stdout).toContain(cmd);
      const sub = cli([cmd, "--help"]);
      expect(sub.status).toBe(0);
      expect(sub.stdout).toMatch(/^Usage: pushpool /);
    }
    const bad = cli(["explode"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown command 'explode'");
  });

  it("trigger → local stack runs it → render shows its configuration, secrets masked", async () => {
    const trig = cli([
      "trigger",
      ref,
      "--param",
      "name=cli",
      "--param",
      "excited=false",
      "--url",
      webhookUrl,
    ]);
    expect(trig.stderr).not.toContain("pushpool trigger:");
    expect(trig.status, trig.stderr).toBe(0);
    const flowRunId = trig.stdout.trim();
    expect(flowRunId).toMatch(/^[0-9a-f-]{36}$/);
    const done = await waitForState(flowRunId, TERMINAL);
    expect(done.state_type).toBe("COMPLETED");
    expect(done.parameters).toEqual({ name: "cli", excited: false });

    const render = cli(["render", flowRunId], { PREFECT_API_KEY: "pnu_supersecretkey123" });
    expect(render.status, render.stderr).toBe(0);
    const rendered = JSON.parse(render.stdout) as {
      pool: { type: string };
      configuration: { command: string; env: Record<string, string> };
      request: { argv: string[] };
    };
    expect(rendered.pool.type).toBe("process");
    // Prefect's process worker default: the flow engine module, with PREFECT__FLOW_RUN_ID in env.
    expect(rendered.configuration.command).toMatch(/-m prefect\.engine$/);
    expect(rendered.configuration.env.PREFECT__FLOW_RUN_ID).toBe(flowRunId);
    expect(rendered.configuration.env.PREFECT_API_URL).toBe(apiUrl());
    expect(rendered.request.argv.join(" ")).toBe(rendered.configuration.command);
    expect(render.stdout).not.toContain("pnu_supersecretkey123");
  });

  it("a trigger with a wrong secret fails with the webhook's answer and exit code 1", () => {
    const trig = cli(["trigger", ref, "--url", webhookUrl], {
      PUSHPOOL_WEBHOOK_SECRET: "wrong-secret-0123456789abc",
    });
    expect(trig.status).toBe(1);
    expect(trig.stderr).toMatch(/401/);
    expect(trig.stderr).not.toContain("wrong-secret");
  });

  it("logs no secret while serving", () => {
    expect(output).not.toContain(SECRET);
    expect(output).toContain("flow run submitted");
  });
});
