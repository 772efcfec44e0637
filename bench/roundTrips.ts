/**
 * @module
 * Counts the Prefect API round trips on each dispatch's critical path.
 *
 * Method. pushpool's local stack gets a {@link PrefectClient} whose `fetch` is wrapped: every HTTP
 * attempt (retries included) is recorded with its exact start and end (`performance.now()`, end =
 * response headers; the body is read right after, before any dependent request can start). We do
 * not use `onRequest` because it reports a rounded duration only, and ±0.5 ms is enough to make
 * two back-to-back requests look parallel.
 *
 * Attribution. Every dispatch begins with `prepareWrites()` (the CSRF prefetch); the client
 * overrides it to enter an AsyncLocalStorage context (`enterWith`) holding a fresh key `.<n>`, so
 * every request the rest of that call chain makes (deployment, flow and pool reads, claim, pid
 * PATCH, labels; the run's read when the message has no usable snapshot) carries it, even while
 * the dispatches of a group, or two dispatches of the same run, interleave. The first call that
 * names the run (its read, the claim, the pid) binds the key to it ({@link keyDispatches}); a
 * read of a run outside a dispatch (exit reports, reconcile) enters a key of its own. The dispatch
 * that recorded the run's `infrastructure_pid` (`PATCH /flow_runs/{id}`) is the one on the
 * critical path; its window runs from its first request to the end of that PATCH. Other keys of
 * the same run that read the deployment are dispatch attempts that lost the claim (or were
 * skipped); exit reports and reconcile never read the deployment.
 *
 * Sequential round trips = the longest chain of non-overlapping requests that ends with the pid
 * PATCH (greedy by end time over the requests that finished before the PATCH started, plus the
 * PATCH), so requests made in parallel count once. Requests started alongside the PATCH (the
 * labels PATCH, and its retries when the server answers 503) are a parallel branch, not on the
 * path; `longestChainInWindow` keeps the literal "any chain in the window" count for comparison.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { PrefectClient, type PrefectClientOptions } from "../core/prefect/client.ts";

export interface Trip {
  method: string;
  /** Path below the API base, e.g. `/flow_runs/<id>/set_state`. */
  path: string;
  status: number;
  /** ms since the process's time origin. */
  start: number;
  end: number;
  /** `<flow run id>#<n>`: the dispatch (or read of a run) this request descends from, if any. */
  key?: string;
}

export interface DispatchTrace {
  runId: string;
  /** Requests in the window (all attributed to the run). */
  requests: number;
  /** Longest chain of non-overlapping requests ending with the pid PATCH. */
  sequential: number;
  /** Longest chain of non-overlapping requests anywhere in the window (parallel branches included). */
  longestChainInWindow: number;
  /** Window length, ms (the dispatch's first request → pid recorded). */
  ms: number;
  /** Epoch ms when the pid PATCH ended (the process was spawned just before it). */
  pidAtEpochMs: number;
  /** The window's requests, grouped into sequential steps, e.g. `GET /flow_runs/{id}`. */
  steps: string[][];
  /** The window's requests: `METHOD path +startMs..+endMs status`, times from the window start. */
  requestLog: string[];
  /** Dispatch attempts for this run (calls chains that read the deployment), the winning one included. */
  attempts: number;
}

/** A PrefectClient that records every HTTP attempt and attributes dispatch requests to their run. */
export class TracingClient extends PrefectClient {
  private readonly recorded: Trip[];
  private readonly runOf: Map<string, string>;

  constructor(options: Omit<PrefectClientOptions, "fetch">) {
    const trips: Trip[] = [];
    const context = new AsyncLocalStorage<string>();
    const base = new URL(options.apiUrl).pathname.replace(/\/$/, "");
    const tracingFetch: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const trip: Trip = {
        method: (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase(),
        path: url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname,
        status: 0,
        start: performance.now(),
        end: Number.NaN,
        key: context.getStore(),
      };
      try {
        const response = await fetch(input, init);
        trip.status = response.status;
        return response;
      } finally {
        trip.end = performance.now();
        trips.push(trip);
      }
    };
    super({ ...options, fetch: tracingFetch });
    this.recorded = trips;
    this.runOf = keyDispatches(this as unknown as Record<string, unknown>, context);
  }

  /** Every HTTP attempt so far, keyed `<flow run id>#<n>` when it descends from a dispatch. */
  get trips(): Trip[] {
    return withRunKeys(this.recorded, this.runOf);
  }
}

/**
 * Makes every dispatch of `api` (a PrefectClient instance) enter a fresh AsyncLocalStorage key at
 * its start (`prepareWrites`), and binds each key to the run its first run-naming call names
 * (`readFlowRun`, `setState`, `setInfrastructurePid`). A `readFlowRun` outside a dispatch, or of
 * another run than its key's, enters a key of its own; other calls outside one stay unkeyed.
 * Keys are `<prefix>.<n>`, recorded in `runOf` (key → flow run id), which is returned.
 */
export function keyDispatches(
  api: Record<string, unknown>,
  context: AsyncLocalStorage<string>,
  runOf = new Map<string, string>(),
  prefix = "",
): Map<string, string> {
  let n = 0;
  const wrap = (name: string) => {
    const original = api[name];
    if (typeof original !== "function") return;
    api[name] = (...args: unknown[]) => {
      let key = context.getStore();
      const runId = typeof args[0] === "string" ? args[0] : undefined;
      const bound = key === undefined ? undefined : runOf.get(key);
      const fresh =
        name === "prepareWrites" ||
        (name === "readFlowRun" && (key === undefined || (bound && bound !== runId)));
      if (fresh) {
        key = `${prefix}.${++n}`;
        context.enterWith(key);
      }
      if (key !== undefined && runId && name !== "prepareWrites" && !runOf.has(key)) runOf.set(key, runId);
      return (original as (...a: unknown[]) => unknown).apply(api, args);
    };
  };
  for (const name of ["prepareWrites", "readFlowRun", "setState", "setInfrastructurePid"]) wrap(name);
  return runOf;
}

/** The trips with each key `<prefix>.<n>` written `<flow run id>#<prefix>.<n>` (unbound keys dropped). */
export function withRunKeys<T extends { key?: string }>(
  trips: readonly T[],
  runOf: Map<string, string>,
): T[] {
  return trips.map((t) => {
    const run = t.key === undefined ? undefined : runOf.get(t.key);
    return { ...t, key: run === undefined ? undefined : `${run}#${t.key}` };
  });
}

/** One {@link DispatchTrace} per run whose infrastructure_pid was recorded. */
export function dispatchTraces(trips: readonly Trip[], timeOrigin = performance.timeOrigin): DispatchTrace[] {
  const byKey = new Map<string, Trip[]>();
  for (const t of trips) {
    if (!t.key) continue;
    const list = byKey.get(t.key) ?? [];
    list.push(t);
    byKey.set(t.key, list);
  }
  const attempts = new Map<string, number>();
  for (const [key, list] of byKey) {
    const runId = key.slice(0, key.lastIndexOf("#"));
    if (list.some((t) => t.method === "GET" && t.path.startsWith("/deployments/")))
      attempts.set(runId, (attempts.get(runId) ?? 0) + 1);
  }
  const out: DispatchTrace[] = [];
  for (const [key, list] of byKey) {
    const runId = key.slice(0, key.lastIndexOf("#"));
    const runPath = `/flow_runs/${runId}`;
    const pidPatch = list.find((t) => t.method === "PATCH" && t.path === runPath && t.status < 300);
    const first = list.reduce<Trip | undefined>((a, t) => (a && a.start <= t.start ? a : t), undefined);
    if (!pidPatch || !first) continue;
    const inWindow = list
      .filter((t) => t.start >= first.start && t.end <= pidPatch.end)
      .sort((a, b) => a.start - b.start);
    const steps = criticalSteps(inWindow, pidPatch, runId);
    const rel = (ms: number) => (ms - first.start).toFixed(1);
    out.push({
      runId,
      requests: inWindow.length,
      sequential: steps.length,
      longestChainInWindow: sequentialSteps(inWindow).length,
      ms: pidPatch.end - first.start,
      pidAtEpochMs: timeOrigin + pidPatch.end,
      steps,
      requestLog: inWindow.map(
        (t) => `${t.method} ${t.path.split(runId).join("{id}")} +${rel(t.start)}..+${rel(t.end)} ${t.status}`,
      ),
      attempts: attempts.get(runId) ?? 1,
    });
  }
  return out;
}

/** The steps of the longest non-overlapping chain that ends with `last`. */
export function criticalSteps(trips: readonly Trip[], last: Trip, runId = ""): string[][] {
  return sequentialSteps([...trips.filter((t) => t.end <= last.start), last], runId);
}

/**
 * Greedy interval scheduling: the maximum number of pairwise non-overlapping requests. Each step
 * lists the requests that overlap the one chosen for it (what ran "at the same time").
 */
export function sequentialSteps(trips: readonly Trip[], runId = ""): string[][] {
  const byEnd = [...trips].sort((a, b) => a.end - b.end);
  const steps: string[][] = [];
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const t of byEnd) {
    if (t.start < lastEnd) continue;
    const together = trips
      .filter((o) => o.start < t.end && o.end > t.start && o.start >= lastEnd)
      .map((o) => `${o.method} ${o.path.split(runId).join("{id}")}`);
    steps.push([...new Set(together)].sort());
    lastEnd = t.end;
  }
  return steps;
}

/** Prefect's worker, seen through the recording proxy (bench/apiProxy.ts). */
export interface WorkerTrace {
  runId: string;
  /** Sequential requests whose path names the run: exact, a lower bound of the critical path. */
  runSpecific: number;
  /** Window length, ms: end of the poll that first returned the run → pid recorded. */
  ms: number;
  steps: string[][];
  requestLog: string[];
}

/** One {@link WorkerTrace} per run the worker recorded an infrastructure_pid for. */
export function workerTraces(
  trips: readonly (Trip & { returned?: string[] })[],
  runIds: Iterable<string>,
): WorkerTrace[] {
  const out: WorkerTrace[] = [];
  for (const runId of runIds) {
    const runPath = `/flow_runs/${runId}`;
    const poll = trips
      .filter((t) => t.returned?.includes(runId))
      .reduce<Trip | undefined>((a, t) => (a && a.end < t.end ? a : t), undefined);
    const pidPatch = trips.find((t) => t.method === "PATCH" && t.path === runPath && t.status < 300);
    if (!poll || !pidPatch) continue;
    const inWindow = trips
      .filter((t) => t.start >= poll.end && t.end <= pidPatch.end)
      .sort((a, b) => a.start - b.start);
    const specific = inWindow.filter((t) => t.path.includes(runId));
    const shared = inWindow.filter((t) => t.method === "GET" && !t.path.startsWith("/flow_runs/"));
    const steps = criticalSteps(specific, pidPatch, runId);
    const rel = (ms: number) => (ms - poll.end).toFixed(1);
    out.push({
      runId,
      runSpecific: steps.length,
      ms: pidPatch.end - poll.end,
      steps,
      requestLog: [...specific, ...shared]
        .sort((a, b) => a.start - b.start)
        .map(
          (t) =>
            `${t.method} ${t.path.split(runId).join("{id}")} +${rel(t.start)}..+${rel(t.end)} ${t.status}`,
        ),
    });
  }
  return out;
}

/** Request counts by `METHOD path`, ids replaced by `{id}`. */
export function breakdown(trips: readonly Trip[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of trips) {
    const key = `${t.method} ${t.path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "{id}")}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}
