/**
 * `pushpool render` shows exactly what the infrastructure gets, against a real Prefect server: the
 * rendered `spawn` arguments equal what a real flow process receives (it writes its argv, working
 * directory and environment to a file), secrets masked, and the caller's variables that a flow does
 * not inherit (pushpool's webhook secret, npm's `npm_*`) absent from both.
 */
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch } from "../../core/runs/dispatch.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import { VENV_BIN } from "../../functions/local/prefectServer.ts";
import { renderForFlowRun } from "../../functions/local/render.ts";
import { startLocalStack } from "../../functions/local/stack.ts";
import {
  apiUrl,
  captureLogger,
  createDeployment,
  createProcessPool,
  createRun,
  TERMINAL,
  waitForState,
} from "./harness.ts";

const dir = realpathSync(mkdtempSync(join(tmpdir(), "pushpool-render-")));
const out = join(dir, "received.json");
const dumper = join(dir, "dump.mjs");
const WEBHOOK_SECRET = "whsec-render-test-0123456789";

let pool: string;
let env: Record<string, string | undefined>;
let stack: Awaited<ReturnType<typeof startLocalStack>>;

beforeAll(async () => {
  writeFileSync(
    dumper,
    `import { writeFileSync } from "node:fs";
writeFileSync(process.argv[2], JSON.stringify({ argv0: process.argv0, args: process.argv.slice(1), cwd: process.cwd(), env: process.env }));`,
  );
  pool = await createProcessPool();
  // The caller's environment, as `npx pushpool …` sees it: npm's variables and the webhook secret.
  env = {
    ...process.env,
    PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
    PREFECT_API_URL: apiUrl(),
    PUSHPOOL_POOLS: pool,
    PUSHPOOL_WEBHOOK_SECRET: WEBHOOK_SECRET,
    npm_config_cache: "/home/someone/.npm",
    npm_lifecycle_event: "pushpool",
    INIT_CWD: "/somewhere",
  };
  stack = await startLocalStack({
    config: loadConfig(env),
    env,
    logger: captureLogger(),
    autoTick: false,
    write: () => {},
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe("pushpool render", () => {
  it("prints the spawn arguments and environment a real flow process receives, secrets masked", async () => {
    const dep = await createDeployment({
      pool,
      jobVariables: {
        command: `node ${dumper} ${out}`,
        working_dir: dir,
        env: { GREETING: "hello", SERVICE_TOKEN: "tok-abcdef-123456" },
      },
    });
    const run = await createRun(dep.id);
    const rendered = await renderForFlowRun(run.id, { env });
    const request = rendered.request as { argv: string[]; cwd: string; env: Record<string, string> };

    const outcome = await dispatch(
      { v: 1, kind: "dispatch", flowRunId: run.id, pool, source: "test" },
      stack.deps,
    );
    expect(outcome.outcome).toBe("submitted");
    await waitForState(run.id, TERMINAL); // the dumper exits 0 before any flow ran: Crashed
    const received = JSON.parse(readFileSync(out, "utf8")) as {
      argv0: string;
      args: string[];
      cwd: string;
      env: Record<string, string>;
    };

    expect(request.argv).toEqual([received.argv0, ...received.args]);
    expect(request.cwd).toBe(received.cwd);
    expect(Object.keys(request.env).sort()).toEqual(Object.keys(received.env).sort());
    // The control session's port and token are made per process at start: render shows placeholders.
    expect(request.env.PREFECT__CONTROL_PORT).toBe("<per process>");
    expect(received.env.PREFECT__CONTROL_PORT).toMatch(/^\d+$/);
    for (const [key, value] of Object.entries(received.env))
      if (key !== "PREFECT__CONTROL_PORT")
        expect([key, request.env[key]]).toEqual([key, request.env[key] === "***" ? "***" : value]);
    expect(received.env.SERVICE_TOKEN).toBe("tok-abcdef-123456");
    expect(request.env.SERVICE_TOKEN).toBe("***");
    expect(request.env.GREETING).toBe("hello");
    expect(request.env.PREFECT__FLOW_RUN_ID).toBe(run.id);

    for (const name of ["PUSHPOOL_WEBHOOK_SECRET", "npm_config_cache", "npm_lifecycle_event", "INIT_CWD"]) {
      expect(received.env).not.toHaveProperty(name);
      expect(request.env).not.toHaveProperty(name);
      expect(rendered.configuration as { env: object }).not.toHaveProperty(["env", name]);
    }
    expect(JSON.stringify(rendered)).not.toContain(WEBHOOK_SECRET);
    expect(JSON.stringify(rendered)).not.toContain("tok-abcdef-123456");
  });
});
