/**
 * pushpool's Prefect requests by kind — reads of runs, deployments, flows, pools; set_state by the
 * state proposed; PATCH pid; PATCH labels; logs; heartbeats — counted as the soak's recorder saw
 * them (every attempt, retries included), and the retries themselves from the client's own log line
 * ("Prefect API request failed, retrying"). The figures the next step of reducing requests needs.
 */

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The kind of one request to the Prefect API (path relative to the API root, query allowed). */
export function requestKind(method: string, url: string, body?: string): string {
  const m = method.toUpperCase();
  const path = (url.split("?")[0] ?? "").replace(/\/+$/, "") || "/";
  const parts = path.split("/").filter(Boolean);
  const [first, , third] = parts;
  if (first === "flow_runs") {
    if (parts.length === 2 && parts[1] === "filter") return "filter runs";
    if (parts.length === 2 && m === "GET") return "read run";
    if (parts.length === 2 && m === "PATCH") return "PATCH pid";
    if (third === "labels") return "PATCH labels";
    if (third === "set_state") return `set_state ${proposedState(body)}`;
  }
  if (first === "flow_run_states") return "read run states";
  if (first === "deployments") {
    if (third === "create_flow_run") return "create run";
    if (m === "GET" || parts[1] === "filter") return "read deployment";
  }
  if (first === "flows" && m === "GET") return "read flow";
  if (first === "work_pools") {
    if (parts.at(-1) === "heartbeat") return "heartbeat";
    if (third === "get_scheduled_flow_runs") return "scheduled runs (tick)";
    if (parts.length === 2 && m === "GET") return "read pool";
  }
  if (first === "logs") return "logs";
  if (first === "block_documents" || first === "block_types" || first === "variables")
    return "read block/variable";
  if (first === "collections") return "read worker metadata";
  if (first === "csrf-token") return "csrf token";
  return `${m} /${parts.map((p) => (UUID.test(p) ? ":id" : p)).join("/")}`;
}

function proposedState(body: string | undefined): string {
  if (!body) return "?";
  try {
    const state = (JSON.parse(body) as { state?: { type?: string; name?: string } }).state;
    const type = state?.type ?? "?";
    return state?.name && state.name.toUpperCase() !== type ? `${type}/${state.name}` : type;
  } catch {
    return "?";
  }
}

export class RequestKinds {
  readonly counts = new Map<string, number>();
  add(method: string, url: string, body?: string): void {
    const kind = requestKind(method, url, body);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
}

/** Retries logged by pushpool's Prefect client, by kind and by what failed (status or error). */
export function retriesOf(logLines: readonly string[]): {
  total: number;
  byKind: Map<string, number>;
  byCause: Map<string, number>;
} {
  const byKind = new Map<string, number>();
  const byCause = new Map<string, number>();
  let total = 0;
  for (const line of logLines) {
    if (!line.includes('"Prefect API request failed, retrying"')) continue;
    let entry: { method?: string; path?: string; status?: number; error?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    total++;
    const kind = requestKind(entry.method ?? "?", entry.path ?? "/").replace(/^set_state .*/, "set_state");
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    const cause = entry.status !== undefined ? `status ${entry.status}` : shortError(entry.error);
    byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
  }
  return { total, byKind, byCause };
}

/** "Prefect API GET /flow_runs/…: network error: socket hang up" → "network error: socket hang up". */
const shortError = (e: string | undefined) =>
  (e ?? "error")
    .replace(/^Prefect API [A-Z]+ \S+: /, "")
    .replace(UUID, ":id")
    .slice(0, 48);

const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** Table rows: each kind per run (and in all), then the retries. */
export function requestRows(
  kinds: RequestKinds,
  runs: number,
  logLines: readonly string[],
): Array<[string, string]> {
  const per = (n: number) => (n / Math.max(1, runs)).toFixed(2);
  const retries = retriesOf(logLines);
  const list = (m: Map<string, number>) =>
    sorted(m)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  return [
    ...sorted(kinds.counts).map(([kind, n]): [string, string] => [`  ${kind}`, `${per(n)} per run (${n})`]),
    [
      "  of which retries",
      `${per(retries.total)} per run (${retries.total}): ${list(retries.byKind) || "-"}; causes: ${list(retries.byCause) || "-"}`,
    ],
  ];
}
