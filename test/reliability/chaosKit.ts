/**
 * Pieces of the local chaos test: a cheap flow-run process, seeded crash injection, the run census
 * read straight from Prefect (not through the proxy), and the summary table.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogFields, Logger } from "../../core/ports/logger.ts";
import type { FlowRun } from "../../core/prefect/types.ts";
import type { Faults } from "../../core/runtime/deps.ts";
import { rest } from "../e2e/harness.ts";
import { mulberry32 } from "./faultProxy.ts";

/**
 * A flow-run process as a worker would start it: it appends `<flow run id> <pid>` to `$CHAOS_LOG`
 * (the ground truth of "how many processes did this run get"), then either runs the real engine
 * (`real`) or completes its run through the API with two state proposals, as a flow would.
 */
export function writeFlowScript(): { script: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "pushpool-chaos-"));
  const script = join(dir, "flow.sh");
  const log = join(dir, "processes.log");
  writeFileSync(log, "");
  writeFileSync(
    script,
    `#!/bin/sh
echo "$PREFECT__FLOW_RUN_ID $$ $(date +%s%3N)" >> "$CHAOS_LOG"
if [ "$1" = real ]; then exec python -m prefect.engine; fi
propose() {
  curl -s -m 20 --retry 3 -X POST -H 'content-type: application/json' \\
    -d "{\\"state\\": {\\"type\\": \\"$1\\", \\"name\\": \\"$2\\"}}" \\
    "$PREFECT_API_URL/flow_runs/$PREFECT__FLOW_RUN_ID/set_state"
}
propose RUNNING Running | grep -q ACCEPT || { echo "run $PREFECT__FLOW_RUN_ID did not enter Running" >&2; exit 3; }
propose COMPLETED Completed | grep -q ACCEPT || exit 4
`,
  );
  return { script, log };
}

/** `<flow run id>` → the OS pids its processes had, from the script's log. */
export function processesByRun(log: string): Map<string, string[]> {
  const byRun = new Map<string, string[]>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [run, pid] = line.trim().split(" ");
    if (!run || !pid) continue;
    byRun.set(run, [...(byRun.get(run) ?? []), pid]);
  }
  return byRun;
}

/** Throws (a crash of the dispatcher) after a claim or a submit, each with probability `rate`. */
export function crashInjector(seed: number, rate: number) {
  const next = mulberry32(seed ^ 0x5eed_fa17);
  const counts = { claims: 0, submits: 0, afterClaim: 0, afterSubmit: 0 };
  const faults: Faults = {
    afterClaim: (id) => {
      counts.claims++;
      if (next() < rate) {
        counts.afterClaim++;
        throw new Error(`injected crash after claim of ${id}`);
      }
    },
    afterSubmit: (id) => {
      counts.submits++;
      if (next() < rate) {
        counts.afterSubmit++;
        throw new Error(`injected crash after submit of ${id}`);
      }
    },
  };
  return { faults, counts };
}

/** Every run of the pool, read directly from Prefect. */
export async function poolRuns(pool: string): Promise<FlowRun[]> {
  return await rest<FlowRun[]>("POST", "/flow_runs/filter", {
    work_pools: { name: { any_: [pool] } },
    limit: 200,
  });
}

export type Verdict = "ok" | "stuck" | "lost";

/** A finished run is Completed, Cancelled, or Crashed with a reason; Pending or due Scheduled is stuck. */
export function verdict(run: FlowRun, now = Date.now()): Verdict {
  const type = run.state?.type;
  if (type === "COMPLETED" || type === "CANCELLED") return "ok";
  if (type === "CRASHED") return run.state?.message ? "ok" : "lost";
  if (type === "PENDING") return "stuck";
  if (type === "SCHEDULED") {
    const due = Date.parse(run.next_scheduled_start_time ?? run.expected_start_time ?? "");
    return Number.isFinite(due) && due > now ? "ok" : "stuck";
  }
  return "lost"; // RUNNING with no process behind it at the end, FAILED (the flows never fail), …
}

/** Rows of `label | value`, printed as one aligned block. */
export function table(title: string, rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)} | ${v}`)].join("\n");
}

/** What happened to one run: its state history, the proxied calls about it, the log lines naming it. */
export async function diagnose(
  runId: string,
  events: ReadonlyArray<{ at: number; method: string; path: string; fault: string | null }>,
  logLines: readonly string[],
): Promise<string> {
  const states = await rest<
    Array<{
      timestamp: string;
      type: string;
      name: string;
      message: string | null;
      state_details?: { transition_id?: string };
    }>
  >("GET", `/flow_run_states/?flow_run_id=${runId}`);
  return [
    `run ${runId}`,
    ...states
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp))
      .map(
        (s) =>
          `  state ${s.timestamp} ${s.type}/${s.name} tid=${s.state_details?.transition_id ?? "-"} ${s.message ?? ""}`,
      ),
    ...events
      .filter((e) => e.path.includes(runId))
      .map((e) => `  http +${e.at}ms ${e.method} ${e.path} ${e.fault ?? "ok"}`),
    ...logLines.filter((l) => l.includes(runId)).map((l) => `  log ${l.slice(0, 300)}`),
  ].join("\n");
}

/** A logger keeping `+<ms> <level> <message> <fields>` lines, ms since `origin` (performance.now()). */
export function timedLogger(origin: number): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) =>
    lines.push(
      `+${Math.round(performance.now() - origin)}ms ${level} ${message} ${fields ? JSON.stringify(fields) : ""}`,
    );
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
