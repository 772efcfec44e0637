/**
 * @module
 * The wording of the start-up checks (./preflight.ts): each bad configuration gets its own message
 * naming the variable to set and, where it can be known, the value. Pure.
 */
import type { CheckRow } from "../ports/check.ts";
import { errorCode } from "../shared/errors.ts";

export interface Credentials {
  apiUrl: string;
  apiKey?: string;
  authString?: string;
}

/** Prefect Cloud's API (`https://api.prefect.cloud/api/accounts/…/workspaces/…`). */
export function isCloudUrl(apiUrl: string): boolean {
  try {
    const url = new URL(apiUrl);
    return (
      url.hostname === "prefect.cloud" ||
      url.hostname.endsWith(".prefect.cloud") ||
      /\/accounts\/[^/]+\/workspaces\/[^/]+/.test(url.pathname)
    );
  } catch {
    return false;
  }
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
};

/** `connection refused (ECONNREFUSED)`, `no answer within 3 s`… from a failed request's error. */
export function networkProblem(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError")
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const code = errorCode(error);
  if (code) return `${NETWORK_WORDS[code] ?? "network error"} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

export function unreachable(apiUrl: string, problem: string): CheckRow {
  return {
    check: "Prefect API reachable",
    ok: false,
    detail: `cannot reach the Prefect API at PREFECT_API_URL=${apiUrl}: ${problem}`,
    fix: "start the server (prefect server start) or set PREFECT_API_URL to its address, e.g. http://127.0.0.1:4200/api",
  };
}

export function missingApiSuffix(apiUrl: string, corrected: string): CheckRow {
  return {
    check: "Prefect API URL",
    ok: false,
    detail: `PREFECT_API_URL=${apiUrl} is the server, not its API (the API answers under /api)`,
    fix: `set PREFECT_API_URL=${corrected}`,
  };
}

export function notAnApi(apiUrl: string, answer: string): CheckRow {
  return {
    check: "Prefect API URL",
    ok: false,
    detail: `PREFECT_API_URL=${apiUrl} does not answer like a Prefect API (GET /health → ${answer})`,
    fix: "set PREFECT_API_URL to the API base URL, e.g. http://127.0.0.1:4200/api or a Cloud workspace URL",
  };
}

/** A 401/403 from an authenticated call: which credential variable to set, and why. */
export function refused(status: number, c: Credentials): CheckRow {
  const check = "Prefect API credentials";
  const answer = `${status} ${status === 401 ? "Unauthorized" : "Forbidden"}`;
  const row = (detail: string, fix: string): CheckRow => ({ check, ok: false, detail, fix });
  if (isCloudUrl(c.apiUrl)) {
    if (c.authString && !c.apiKey)
      return row(
        `Prefect Cloud answered ${answer}: PREFECT_API_AUTH_STRING is for self-hosted servers`,
        "set PREFECT_API_KEY to a Prefect Cloud API key (and unset PREFECT_API_AUTH_STRING)",
      );
    if (!c.apiKey)
      return row(
        `Prefect Cloud answered ${answer}: no API key`,
        "set PREFECT_API_KEY to a Prefect Cloud API key (prefect cloud login, or Settings → API keys)",
      );
    return row(
      `Prefect Cloud answered ${answer} to PREFECT_API_KEY`,
      status === 403
        ? "give the key's user or service account access to the workspace in PREFECT_API_URL"
        : "set PREFECT_API_KEY to a valid, unexpired key of the workspace in PREFECT_API_URL",
    );
  }
  if (c.authString)
    return row(
      `the server answered ${answer}: PREFECT_API_AUTH_STRING was refused`,
      "set PREFECT_API_AUTH_STRING=user:password to the server's PREFECT_SERVER_API_AUTH_STRING",
    );
  if (c.apiKey)
    return row(
      `the server answered ${answer}: PREFECT_API_KEY is a Prefect Cloud key, and this self-hosted server uses Basic auth`,
      "set PREFECT_API_AUTH_STRING=user:password (the server's PREFECT_SERVER_API_AUTH_STRING) instead of PREFECT_API_KEY",
    );
  return row(
    `the server answered ${answer}: it requires Basic auth and no credential is set`,
    "set PREFECT_API_AUTH_STRING=user:password (the server's PREFECT_SERVER_API_AUTH_STRING)",
  );
}

/** A missing pool; `typeOption`: the command has `--type` to create it. */
export function poolMissing(pool: string, servedTypes: readonly string[], typeOption: boolean): CheckRow {
  const type = servedTypes[0] ?? "TYPE";
  return {
    check: `work pool '${pool}'`,
    ok: false,
    detail: `work pool '${pool}' does not exist`,
    fix: `create it with \`prefect work-pool create ${pool} --type ${type}\`${typeOption ? ` or pass --type ${type}` : ""}`,
  };
}

/** A pool (or `--type`) of a type no backend here serves. */
export function typeNotServed(pool: string, type: string, servedTypes: readonly string[]): CheckRow {
  return {
    check: `work pool '${pool}'`,
    ok: false,
    detail: `work pool '${pool}' has type '${type}', which no backend here serves (served: ${servedTypes.join(", ") || "none"})`,
    fix: `serve pools of a served type here, and '${type}' pools where their backend runs`,
  };
}

export function noDefaultTemplate(pool: string, type: string): CheckRow {
  return {
    check: `work pool '${pool}'`,
    ok: false,
    detail: `cannot create work pool '${pool}': the server's collection registry has no default base job template for type '${type}'`,
    fix: `create it with \`prefect work-pool create ${pool} --type ${type}\``,
  };
}

export function typeOptionNotServed(type: string, servedTypes: readonly string[]): CheckRow {
  return {
    check: "--type",
    ok: false,
    detail: `--type ${type}: no backend here serves that type (served: ${servedTypes.join(", ") || "none"})`,
    fix: `pass --type ${servedTypes[0] ?? "with a served type"}`,
  };
}
