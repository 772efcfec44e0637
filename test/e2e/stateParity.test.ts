/**
 * What a run records in Prefect, against Prefect's own worker: one run of one deployment through
 * `prefect worker start --type process --run-once` (the pinned venv), one through pushpool's local
 * stack (the tick, then the dispatch), on the same real server. Each run's states (type, name and
 * message, in timestamp order) and its `infrastructure_pid` must be equal once the rows of the
 * "Prefect API" section of docs/parity/differences.md are applied; each row has one normaliser
 * here, which first checks that each side has the row's shape.
 */
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import type { State } from "../../core/prefect/types.ts";
import { CLAIM_MESSAGE_PREFIX } from "../../core/runs/states.ts";
import { PREFECT_BIN, VENV_BIN } from "../../functions/local/prefectServer.ts";
import { readTable, TABLE_FILE } from "../peers/aws-parity/differences.ts";
import {
  apiUrl,
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  readRun,
  rest,
  TERMINAL,
  waitForState,
} from "./harness.ts";

/** What one side's run recorded: its states as `TYPE/Name: message`, and its pid. */
interface Recorded {
  states: string[];
  pid: string;
}
type Sides = { ours: Recorded; prefect: Recorded };

const CLAIM = "PENDING/Pending";
const SUBMITTING = "PENDING/Submitting: -";
const EXIT_0_BEFORE_START = "Flow run infrastructure exited with status code 0 before the flow run started.";

const NORMALISERS: Record<string, (sides: Sides) => Sides> = {
  "set_state PENDING/Pending message": ({ ours, prefect }) => {
    const claim = ours.states.find((s) => s.startsWith(`${CLAIM}:`));
    expect(claim).toBe(`${CLAIM}: ${CLAIM_MESSAGE_PREFIX} (pushpool)`);
    expect(prefect.states).toContain(`${CLAIM}: -`);
    return { ours: { ...ours, states: ours.states.map((s) => (s === claim ? `${CLAIM}: -` : s)) }, prefect };
  },
  "set_state PENDING/Submitting": ({ ours, prefect }) => {
    const at = prefect.states.indexOf(SUBMITTING);
    expect(prefect.states[at - 1], "Prefect's Submitting follows its claim").toBe(`${CLAIM}: -`);
    expect(prefect.states.filter((s) => s === SUBMITTING)).toHaveLength(1);
    expect(ours.states.filter((s) => s.startsWith("PENDING/Submitting"))).toEqual([]);
    return { ours, prefect: { ...prefect, states: prefect.states.filter((_, i) => i !== at) } };
  },
  "set_state CRASHED (exit 0 before the flow started)": ({ ours, prefect }) => {
    const crash = `CRASHED/Crashed: ${EXIT_0_BEFORE_START}`;
    if (!ours.states.includes(crash)) return { ours, prefect }; // the flow started: no such exit
    expect(ours.states.at(-1)).toBe(crash);
    expect(prefect.states.at(-1)).toMatch(/^PENDING\//);
    return { ours: { ...ours, states: ours.states.slice(0, -1) }, prefect };
  },
  "infrastructure_pid (process)": ({ ours, prefect }) => {
    expect(ours.pid).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+$`));
    expect(prefect.pid).toMatch(/^\d+$/);
    return { ours: { ...ours, pid: "<pid>" }, prefect: { ...prefect, pid: "<pid>" } };
  },
};

/** The rows of the table's Prefect API section, applied in order. */
function applyRows(sides: Sides): Sides {
  const rows = readTable(TABLE_FILE, "Prefect API");
  expect(rows.map((r) => r.path).sort()).toEqual(Object.keys(NORMALISERS).sort());
  return rows.reduce((acc, row) => {
    const normalise = NORMALISERS[row.path];
    if (!normalise) throw new Error(`no normaliser for the row '${row.path}'`);
    return normalise(acc);
  }, sides);
}

let pool: string;
let deploymentId: string;

beforeAll(async () => {
  pool = await createProcessPool();
  ({ id: deploymentId } = await createDeployment({ pool, parameters: { name: "parity" } }));
});

async function recorded(flowRunId: string): Promise<Recorded> {
  const states = await rest<State[]>("GET", `/flow_run_states/?flow_run_id=${flowRunId}`);
  return {
    states: states
      .sort((a, b) => (a.timestamp ?? "").localeCompare(b.timestamp ?? ""))
      .map((s) => `${s.type}/${s.name}: ${s.message ?? "-"}`),
    pid: (await readRun(flowRunId)).infrastructure_pid ?? "",
  };
}

/** Prefect's process worker, polling the pool once and waiting for what it started. */
function runPrefectWorkerOnce(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PREFECT_BIN, ["worker", "start", "--pool", pool, "--type", "process", "--run-once"], {
      env: { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`, PREFECT_API_URL: apiUrl() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * One run through Prefect's worker (alone on the pool: it takes every due run it finds), then one
 * through pushpool's local stack, until pushpool's is finished; what each recorded.
 */
async function throughBoth(deploymentId: string): Promise<{ sides: Sides; theirs: string; ours: string }> {
  const theirs = await createRun(deploymentId);
  const worker = await runPrefectWorkerOnce();
  expect(worker.code, worker.output.slice(-2000)).toBe(0);
  const stack = await localStack({ pools: [pool] });
  const ours = await createRun(deploymentId);
  try {
    await stack.tickOnce();
    await waitForState(ours.id, TERMINAL);
    await stack.queue.idle();
  } finally {
    await stack.stop();
  }
  const sides = { ours: await recorded(ours.id), prefect: await recorded(theirs.id) };
  return { sides, theirs: theirs.id, ours: ours.id };
}

describe("parity with Prefect's worker in what a run records (the Prefect API rows)", () => {
  it("a run goes through the same states, with the same pid, except for the declared rows", async () => {
    const { sides, theirs } = await throughBoth(deploymentId);
    expect((await readRun(theirs)).state_type).toBe("COMPLETED");
    const same = applyRows(sides);
    expect(same.ours).toEqual(same.prefect);
    expect(same.ours.states).toEqual([
      "SCHEDULED/Scheduled: -",
      `${CLAIM}: -`,
      "RUNNING/Running: -",
      "COMPLETED/Completed: -",
    ]);
  }, 180_000);

  it("a process that exits 0 before its flow started: the worker leaves the run Pending, pushpool crashes it (declared)", async () => {
    const { id: exitsAtOnce } = await createDeployment({ pool, jobVariables: { command: "true" } });
    const { sides } = await throughBoth(exitsAtOnce);
    expect(sides.ours.states.at(-1)).toBe(`CRASHED/Crashed: ${EXIT_0_BEFORE_START}`);
    // Prefect's worker leaves its run Pending; pushpool, serving the same pool, leaves that run
    // alone too (its pid is not one pushpool started on this host).
    const same = applyRows(sides);
    expect(same.ours).toEqual(same.prefect);
    expect(same.prefect.states).toEqual(["SCHEDULED/Scheduled: -", `${CLAIM}: -`]);
  }, 180_000);
});
