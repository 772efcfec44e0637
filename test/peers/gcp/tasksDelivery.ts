/**
 * How the Cloud Tasks fake (./tasksFake.ts) delivers a task, as Cloud Tasks documents it: an HTTP
 * request to the task's URL with its method, headers and body, plus Cloud Tasks' own headers
 * (`X-CloudTasks-QueueName`, `-TaskName`, `-TaskRetryCount` = attempts dispatched before this one,
 * `-TaskExecutionCount` = attempts that got an answer, `-TaskETA`, `-TaskPreviousResponse`) and,
 * for an `oidcToken`, `Authorization: Bearer <token>` — here an unsigned JWT with Google's claims
 * (`aud` = the audience or the URL, `email` = the service account), so a test can read them.
 * A 2xx answer is success; anything else, or no answer, is a failed attempt retried with
 * exponential back-off (`min_backoff` doubled up to `max_doublings` times, capped at `max_backoff`).
 */

type Json = Record<string, unknown>;

export interface Duration {
  seconds?: string | number;
  nanos?: number;
}

export const durationMs = (d: Duration | null | undefined, fallbackMs: number): number =>
  d ? Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : fallbackMs;

export const toTimestamp = (ms: number) => ({
  seconds: String(Math.floor(ms / 1000)),
  nanos: (ms % 1000) * 1e6,
});

export const fromTimestamp = (t: Duration | null | undefined): number | undefined =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;

/** A queue's retry settings, with Cloud Tasks' defaults. */
export interface Retry {
  /** -1: unlimited. */
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

export function retryOf(config: Json | null | undefined): Retry {
  const c = (config ?? {}) as {
    maxAttempts?: number;
    minBackoff?: Duration;
    maxBackoff?: Duration;
    maxDoublings?: number;
  };
  return {
    maxAttempts: c.maxAttempts || 100,
    minBackoffMs: durationMs(c.minBackoff, 100),
    maxBackoffMs: durationMs(c.maxBackoff, 3_600_000),
    maxDoublings: c.maxDoublings || 16,
  };
}

/** The wait before the next attempt after `failed` failed attempts (1 after the first). */
export function backoffMs(retry: Retry, failed: number): number {
  const doublings = Math.min(failed - 1, retry.maxDoublings);
  return Math.min(retry.maxBackoffMs, retry.minBackoffMs * 2 ** doublings);
}

/** What one attempt sent and got. */
export interface Delivery {
  task: string;
  url: string;
  /** 1 for the first attempt. */
  attempt: number;
  headers: Record<string, string>;
  body: string;
  /** The HTTP status, or 0 when no answer came (refused, reset, deadline). */
  status: number;
  at: number;
}

export interface HttpTarget {
  url: string;
  httpMethod?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  oidcToken?: { serviceAccountEmail?: string; audience?: string } | null;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** An unsigned JWT with the claims Google's OIDC token for `target` carries. */
export function fakeOidcToken(target: HttpTarget, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    aud: target.oidcToken?.audience || target.url,
    email: target.oidcToken?.serviceAccountEmail ?? "",
    email_verified: true,
    iss: "https://accounts.google.com",
    iat,
    exp: iat + 3600,
  };
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`;
}

export interface AttemptState {
  taskName: string;
  dispatchCount: number;
  responseCount: number;
  scheduleMs: number;
  previousStatus?: number;
}

/** Sends one attempt; never throws (no answer is status 0). */
export async function attempt(
  target: HttpTarget,
  state: AttemptState,
  deadlineMs: number,
): Promise<Delivery> {
  const [, , , , , queue, , task] = state.taskName.split("/");
  const headers: Record<string, string> = {
    "Content-Type": "application/octet-stream",
    ...(target.headers ?? {}),
    "User-Agent": "Google-Cloud-Tasks",
    "X-CloudTasks-QueueName": queue ?? "",
    "X-CloudTasks-TaskName": task ?? "",
    "X-CloudTasks-TaskRetryCount": String(state.dispatchCount),
    "X-CloudTasks-TaskExecutionCount": String(state.responseCount),
    "X-CloudTasks-TaskETA": (state.scheduleMs / 1000).toFixed(6),
  };
  if (state.previousStatus !== undefined) {
    headers["X-CloudTasks-TaskPreviousResponse"] = String(state.previousStatus);
    headers["X-CloudTasks-TaskRetryReason"] = state.previousStatus ? "HTTP_ERROR" : "NO_RESPONSE";
  }
  if (target.oidcToken) headers.Authorization = `Bearer ${fakeOidcToken(target, Date.now())}`;
  const method =
    target.httpMethod && target.httpMethod !== "HTTP_METHOD_UNSPECIFIED" ? target.httpMethod : "POST";
  const body = target.body && target.body.length > 0 ? Buffer.from(target.body) : undefined;
  const at = Date.now();
  let status = 0;
  try {
    const response = await fetch(target.url, {
      method,
      headers,
      body: method === "GET" || method === "HEAD" ? undefined : body,
      signal: AbortSignal.timeout(deadlineMs),
    });
    await response.arrayBuffer();
    status = response.status;
  } catch {
    status = 0;
  }
  return {
    task: state.taskName,
    url: target.url,
    attempt: state.dispatchCount + 1,
    headers,
    body: body?.toString("utf8") ?? "",
    status,
    at,
  };
}
