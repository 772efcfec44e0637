/**
 * @module
 * `npm run demo` — the main job on an embedded default. Starts a real Prefect server, creates a
 * `process` work pool with Prefect's own CLI, deploys examples/flows/hello.py with `flow.deploy()`
 * on a 15-second schedule, starts the local stack in place of a worker, triggers one run through
 * the signed webhook, lets two scheduled runs arrive, and prints what happened to each.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { buildSignedRequest } from "../../core/cli/sign.ts";
import type { FlowRun } from "../../core/prefect/types.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import { consoleLogger } from "./logger.ts";
import { PREFECT_BIN, REPO_ROOT, startPrefectServer, VENV_BIN } from "./prefectServer.ts";
import { startLocalStack } from "./stack.ts";

const POOL = "pushpool-demo";
const SCHEDULED_RUNS = 2;
const TIMEOUT_MS = 240_000;

export async function runDemo(options: { keep?: boolean } = {}): Promise<number> {
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say("pushpool demo: starting a local Prefect server (pinned prefect in .venv/)…");
  const server = await startPrefectServer({
    env: {
      PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS: "5",
      PREFECT_SERVER_UI_ENABLED: options.keep ? "true" : "false",
    },
  });
  const env = {
    ...process.env,
    PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
    PREFECT_API_URL: server.apiUrl,
    PREFECT_HOME: server.home,
  };
  let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
  try {
    say(`Prefect API: ${server.apiUrl}`);
    prefectCli(["work-pool", "create", POOL, "--type", "process"], env);
    const deploymentId =
      python([join(REPO_ROOT, "examples", "flows", "deploy.py"), POOL, "15"], env)
        .trim()
        .split("\n")
        .pop() ?? "";
    say(
      `work pool '${POOL}' and deployment 'hello/demo' (${deploymentId}) created with Prefect's own CLI and flow.deploy()`,
    );

    const secret = randomBytes(24).toString("hex");
    const config = loadConfig({ ...env, PUSHPOOL_POOLS: POOL, PUSHPOOL_TICK_SECONDS: "2" });
    stack = await startLocalStack({
      config,
      env,
      logger: consoleLogger({ level: process.env.PUSHPOOL_LOG_LEVEL === "debug" ? "debug" : "info" }),
      webhook: { keys: [{ id: "default", secret, allowJobVariables: [] }] },
      write: () => {},
    });
    say(`local stack up: tick every ${config.tickSeconds} s, signed webhook at ${stack.webhookUrl}`);

    const req = buildSignedRequest({
      url: stack.webhookUrl ?? "",
      secret,
      body: {
        deployment: "hello/demo",
        parameters: { name: "webhook" },
        idempotencyKey: `demo-${Date.now()}`,
      },
      now: new Date(),
    });
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    const answer = (await res.json()) as { flowRunId?: string };
    if (res.status !== 202 || !answer.flowRunId)
      throw new Error(`webhook answered ${res.status}: ${JSON.stringify(answer)}`);
    say(`webhook → 202, flow run ${answer.flowRunId}`);

    const runs = await waitForRuns(stack.deps.api, deploymentId, answer.flowRunId);
    await fetch(`${server.apiUrl}/deployments/${deploymentId}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paused: true }),
    });
    printTable(runs, answer.flowRunId, say);
    const ok = runs.every((r) => r.state_type === "COMPLETED");
    say(ok ? "\nAll runs Completed — no worker was running." : "\nSome runs did not complete (see above).");
    const ui = server.apiUrl.replace(/\/api$/, "");
    if (options.keep) {
      say(
        `\nPrefect UI: ${ui}/runs — each run: ${ui}/runs/flow-run/<id>; the pool: ${ui}/work-pools/work-pool/${POOL}`,
      );
      say("The server and pushpool keep running (the schedule is paused); press Ctrl-C to stop.");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
    } else {
      say(
        "\nTo look at these runs in the Prefect UI, run 'npm run demo -- --keep' and open the printed URL.",
      );
    }
    return ok ? 0 : 1;
  } finally {
    await stack?.stop();
    await server.stop();
  }
}

async function waitForRuns(
  api: { filterFlowRuns: (f: { workPoolNames: string[]; limit: number }) => Promise<FlowRun[]> },
  _deploymentId: string,
  webhookRunId: string,
): Promise<FlowRun[]> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const runs = await api.filterFlowRuns({ workPoolNames: [POOL], limit: 50 });
    const done = runs.filter((r) =>
      ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"].includes(r.state_type ?? ""),
    );
    const webhookDone = done.some((r) => r.id === webhookRunId);
    const scheduled = done.filter((r) => r.id !== webhookRunId);
    if (webhookDone && scheduled.length >= SCHEDULED_RUNS) {
      return [done.find((r) => r.id === webhookRunId) as FlowRun, ...scheduled.slice(0, SCHEDULED_RUNS)];
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for runs; finished so far: ${done.length}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function printTable(runs: FlowRun[], webhookRunId: string, say: (s: string) => void) {
  const rows = runs.map((r) => {
    const expected = r.expected_start_time ? Date.parse(r.expected_start_time) : Number.NaN;
    const started = r.start_time ? Date.parse(r.start_time) : Number.NaN;
    return [
      r.name,
      r.id === webhookRunId ? "webhook" : "schedule",
      iso(expected),
      iso(started),
      Number.isFinite(started - expected) ? `${((started - expected) / 1000).toFixed(2)} s` : "-",
      r.state_name ?? "",
    ];
  });
  const head = ["flow run", "source", "scheduled", "started", "lateness", "final state"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  say("");
  say(line(head));
  say(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) say(line(row));
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 23) : "-";
}

function prefectCli(args: string[], env: NodeJS.ProcessEnv): string {
  return run(PREFECT_BIN, args, env);
}

function python(args: string[], env: NodeJS.ProcessEnv): string {
  return run(join(VENV_BIN, "python"), args, env);
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(file, args, { env, encoding: "utf8", cwd: REPO_ROOT });
  if (r.status !== 0)
    throw new Error(`${file} ${args.join(" ")} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
