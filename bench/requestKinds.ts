/**
 * @module
 * Prefect requests per run, by kind, attributed honestly.
 *
 * A request is *caused by a run* when it belongs to one run's handling: it descends from a
 * dispatch or exit report of that run (the traced client's per-run key, bench/roundTrips.ts), or
 * its path names one of the bench's runs, or it is a read the other side makes for each run it
 * submits (the worker's deployment and flow reads). Everything else is *periodic*: the tick's
 * or the poll's queries, heartbeats, the reconcile query, the lease sweep — sent whether or not a
 * run is due, so their count per run depends on how long a bench lasts and how many runs it
 * holds, not on the runs. The goal (≤ 8 per run, issue #11) is on the requests caused by a run;
 * both figures are printed.
 */
import { fmt } from "./stats.ts";

export interface CountedTrip {
  method: string;
  /** Path below the API base; ids may be raw or already `{id}`. */
  path: string;
  /** Per-run key (`<run id>#<n>`) of the dispatch or exit report the request descends from. */
  key?: string;
}

export interface RequestsPerRun {
  runs: number;
  /** Requests caused by the runs, per run. */
  caused: number;
  /** Every request, per run (periodic ones included). */
  all: number;
  /** Per run, by `METHOD path` (ids as `{id}`). */
  causedByKind: Record<string, number>;
  periodicByKind: Record<string, number>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** `METHOD path`, ids as `{id}`, query dropped. */
export function kindOf(t: Pick<CountedTrip, "method" | "path">): string {
  return `${t.method} ${t.path.replace(/\?.*$/, "").replace(UUID, "{id}")}`;
}

/**
 * Splits `trips` into caused and periodic requests and divides each kind by `runs`.
 * `perRunReads`: kinds (e.g. `GET /deployments/{id}`) that count as caused although they name no run.
 */
export function requestsPerRun(
  trips: readonly CountedTrip[],
  runIds: Iterable<string>,
  runs: number,
  perRunReads: readonly string[] = [],
): RequestsPerRun {
  const ids = new Set(runIds);
  const reads = new Set(perRunReads);
  const caused: Record<string, number> = {};
  const periodic: Record<string, number> = {};
  let causedCount = 0;
  for (const t of trips) {
    const kind = kindOf(t);
    const named = [...t.path.matchAll(UUID)].some((m) => ids.has(m[0]));
    const isCaused = t.key !== undefined || named || reads.has(kind);
    const into = isCaused ? caused : periodic;
    into[kind] = (into[kind] ?? 0) + 1;
    if (isCaused) causedCount++;
  }
  const perRun = (counts: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => [k, runs ? n / runs : Number.NaN]),
    );
  return {
    runs,
    caused: runs ? causedCount / runs : Number.NaN,
    all: runs ? trips.length / runs : Number.NaN,
    causedByKind: perRun(caused),
    periodicByKind: perRun(periodic),
  };
}

/** A markdown table: one column per side, caused kinds first, then periodic ones. */
export function requestsTable(sides: { name: string; result: RequestsPerRun }[]): string {
  const kinds = (pick: (r: RequestsPerRun) => Record<string, number>) => [
    ...new Set(sides.flatMap((s) => Object.keys(pick(s.result)))),
  ];
  const cell = (v: number | undefined) => (v === undefined ? "–" : fmt(v, 2));
  const rows = [
    `| Prefect requests per run, by kind | ${sides.map((s) => s.name).join(" | ")} |`,
    `|---|${sides.map(() => "---:").join("|")}|`,
    `| **caused by a run (goal ≤ 8)** | ${sides.map((s) => `**${fmt(s.result.caused, 2)}**`).join(" | ")} |`,
    ...kinds((r) => r.causedByKind).map(
      (k) => `| ${k} | ${sides.map((s) => cell(s.result.causedByKind[k])).join(" | ")} |`,
    ),
    `| periodic (tick or poll, heartbeat, reconcile; depends on the bench's length) | ${sides
      .map((s) => fmt(s.result.all - s.result.caused, 2))
      .join(" | ")} |`,
    ...kinds((r) => r.periodicByKind).map(
      (k) => `| ${k} | ${sides.map((s) => cell(s.result.periodicByKind[k])).join(" | ")} |`,
    ),
    `| all requests per run, periodic included | ${sides.map((s) => fmt(s.result.all, 2)).join(" | ")} |`,
  ];
  return rows.join("\n");
}
