/**
 * @module
 * Start-up checks that fail fast with the fix in the message (`pushpool local`, each function's
 * cold start, `pushpool doctor`). In order, each stopping the ones after it when it fails:
 *
 * 1. the API answers `GET /health` — else unreachable (refused, DNS, no answer) naming
 *    PREFECT_API_URL and the URL tried, or a URL without `/api` (its `/api/health` answers) with the
 *    corrected URL, or not a Prefect API at all;
 * 2. an authenticated read succeeds — else which credential variable to set (./preflightHints.ts);
 * 3. each pool exists — else, with `createType` (`--type`), it is created as `prefect worker start
 *    --type` creates it (with the type's default base job template from the server's collection
 *    registry), or the command that creates it;
 * 4. each pool's type is served by a backend here — else the served types.
 *
 * One attempt per probe with a short timeout (a few retries of a 503 only): the whole run ends
 * within seconds. Core only: the transport is an injected {@link HttpFetch}.
 */
import type { CheckRow } from "../ports/check.ts";
import { checkLine } from "../ports/check.ts";
import { type Logger, silentLogger } from "../ports/logger.ts";
import { PrefectClient } from "../prefect/client.ts";
import type { HttpFetch } from "../prefect/nodeFetch.ts";
import type { JsonObject, WorkPool } from "../prefect/types.ts";
import { ConfigError, describeError, PrefectApiError } from "../shared/errors.ts";
import { retry } from "../shared/retry.ts";
import {
  type Credentials,
  missingApiSuffix,
  networkProblem,
  noDefaultTemplate,
  notAnApi,
  poolMissing,
  refused,
  typeNotServed,
  typeOptionNotServed,
  unreachable,
} from "./preflightHints.ts";

export interface PreflightOptions extends Credentials {
  pools: readonly string[];
  /** The pool types the runtime's backends serve. */
  servedTypes: readonly string[];
  /** Create missing pools of this type (`--type`), as `prefect worker start --type` does. */
  createType?: string;
  /** The command has a `--type` option (the missing-pool hint mentions it). */
  typeOption?: boolean;
  fetch: HttpFetch;
  /** Per request (default 3000 ms). */
  timeoutMs?: number;
  logger?: Logger;
}

export interface PreflightResult {
  rows: CheckRow[];
  /** The pools found (or created), by name. */
  pools: Map<string, WorkPool>;
}

/** A start-up check failed: the message is the one line to show (what, then the fix). */
export class PreflightError extends ConfigError {
  constructor(readonly row: CheckRow) {
    super(checkLine(row));
  }
}

/** Runs the checks; every row, passed or failed (a failed API check ends the run). */
export async function runPreflight(o: PreflightOptions): Promise<PreflightResult> {
  const timeoutMs = o.timeoutMs ?? 3000;
  const base = o.apiUrl.replace(/\/+$/, "");
  const rows: CheckRow[] = [];
  const pools = new Map<string, WorkPool>();
  const health = await probeHealth(base, o.fetch, timeoutMs);
  rows.push(health);
  if (!health.ok) return { rows, pools };

  const client = new PrefectClient({
    apiUrl: base,
    apiKey: o.apiKey,
    authString: o.authString,
    fetch: o.fetch,
    timeoutMs,
    maxRetries: 2,
    backoff: { base: 200, cap: 500 },
    logger: o.logger ?? silentLogger,
  });
  const credentials: CheckRow = { check: "Prefect API credentials", ok: true, detail: "accepted" };
  rows.push(credentials);
  try {
    // An authenticated read: the first pool, or any pool when there are none to serve.
    if (o.pools.length === 0) await client.http.request("POST", "/work_pools/filter", { body: { limit: 1 } });
    for (const name of o.pools) {
      const row = await checkPool(client, name, o);
      rows.push(row.row);
      if (row.pool) pools.set(name, row.pool);
    }
  } catch (error) {
    if (error instanceof PrefectApiError && (error.status === 401 || error.status === 403)) {
      rows.splice(rows.indexOf(credentials), rows.length, refused(error.status, o));
      return { rows, pools };
    }
    rows.push({
      check: "Prefect API",
      ok: false,
      detail: `the Prefect API failed a start-up read: ${describeError(error)}`,
      fix: "check the server's health and logs, then start again",
    });
  }
  credentials.detail = credentialsSeen(o);
  return { rows, pools };
}

/** {@link runPreflight}, throwing a {@link PreflightError} for the first failed check. */
export async function assertPreflight(o: PreflightOptions): Promise<PreflightResult> {
  const result = await runPreflight(o);
  const failed = result.rows.find((r) => !r.ok);
  if (failed) throw new PreflightError(failed);
  return result;
}

async function probeHealth(base: string, fetch: HttpFetch, timeoutMs: number): Promise<CheckRow> {
  const first = await get(`${base}/health`, fetch, timeoutMs);
  if ("problem" in first) return unreachable(base, first.problem);
  if (first.status === 401 || first.status === 403 || (first.ok && !first.html))
    return { check: "Prefect API reachable", ok: true, detail: `${base} answers` };
  if (first.status === 404 || first.html) {
    const withApi = await get(`${base}/api/health`, fetch, timeoutMs);
    if (!("problem" in withApi) && withApi.ok && !withApi.html) return missingApiSuffix(base, `${base}/api`);
    return notAnApi(base, first.html ? "a web page" : String(first.status));
  }
  return notAnApi(base, String(first.status));
}

type Answer = { status: number; ok: boolean; html: boolean } | { problem: string };

/** A 503 (a SQLite server busy with another write) gets two more tries, 200 ms apart. */
const BUSY_ATTEMPTS = 3;
const BUSY_WAIT_MS = 200;

class Busy extends Error {}

async function get(url: string, fetch: HttpFetch, timeoutMs: number): Promise<Answer> {
  const once = async (n: number): Promise<Answer> => {
    try {
      const response = await fetch(url, {
        method: "GET",
        headers: { Accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      const type = response.headers.get("content-type") ?? "";
      if (response.status === 503 && n < BUSY_ATTEMPTS) throw new Busy();
      const html = /text\/html/i.test(type) || /^\s*</.test(text);
      return { status: response.status, ok: response.status >= 200 && response.status < 300, html };
    } catch (error) {
      if (error instanceof Busy) throw error;
      return { problem: networkProblem(error, timeoutMs) };
    }
  };
  return await retry(once, {
    attempts: BUSY_ATTEMPTS,
    retryable: (error) => error instanceof Busy,
    delayMs: () => BUSY_WAIT_MS,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
}

async function checkPool(
  client: PrefectClient,
  name: string,
  o: PreflightOptions,
): Promise<{ row: CheckRow; pool?: WorkPool }> {
  if (o.createType !== undefined && !o.servedTypes.includes(o.createType))
    return { row: typeOptionNotServed(o.createType, o.servedTypes) };
  let pool = await client.readWorkPool(name);
  let created = false;
  if (!pool) {
    if (!o.createType) return { row: poolMissing(name, o.servedTypes, o.typeOption ?? false) };
    const template = await client.readDefaultBaseJobTemplate(o.createType);
    if (!template) return { row: noDefaultTemplate(name, o.createType) };
    pool = await createPool(client, name, o.createType, template);
    created = true;
  }
  if (!o.servedTypes.includes(pool.type)) return { row: typeNotServed(name, pool.type, o.servedTypes), pool };
  const detail = `${created ? "created, " : ""}type '${pool.type}'`;
  return { row: { check: `work pool '${name}'`, ok: true, detail }, pool };
}

/** POST /work_pools/ with the type's default base job template; a concurrent creation is read back. */
async function createPool(
  client: PrefectClient,
  name: string,
  type: string,
  template: JsonObject,
): Promise<WorkPool> {
  const body = { name, type, base_job_template: template };
  const { status, body: created } = await client.http.request("POST", "/work_pools/", {
    body,
    accept: [409],
  });
  if (status === 409) {
    const existing = await client.readWorkPool(name);
    if (existing) return existing;
  }
  return created as unknown as WorkPool;
}

function credentialsSeen(c: Credentials): string {
  if (c.authString) return "accepted (PREFECT_API_AUTH_STRING)";
  if (c.apiKey) return "accepted (PREFECT_API_KEY)";
  return "no credentials needed";
}
