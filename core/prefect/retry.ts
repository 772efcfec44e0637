/**
 * @module
 * Pure retry arithmetic for the Prefect client: which statuses are worth retrying, how long to
 * back off, and how to read a `Retry-After` header. No I/O, no clock of its own.
 */

/**
 * HTTP statuses the Prefect Python client retries (`PrefectHttpxAsyncClient.send`): 408, 429, 502,
 * 503. A plain 500 is *not* retried there (the server answers 503 for retryable DB errors), so it
 * is not retried here either.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503]);

/** Backoff parameters: `base` and `cap` in milliseconds, `random` in [0, 1). */
export interface BackoffOptions {
  base: number;
  cap: number;
  random: () => number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in `[0, min(cap, base·2^attempt))`.
 * `attempt` counts from 0 (the delay before the first retry).
 *
 * @example backoffDelay(3, { base: 500, cap: 15_000, random: () => 0.5 }) // 2000
 */
export function backoffDelay(attempt: number, { base, cap, random }: BackoffOptions): number {
  const n = Math.max(0, Math.floor(attempt));
  // 2 ** 1100 is Infinity; Math.min keeps the ceiling finite.
  const ceiling = Math.min(cap, base * 2 ** n);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(ceiling * r);
}

const DELAY_SECONDS = /^\s*-?\d+(\.\d+)?\s*$/;
// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and
// asctime ("Sun Nov  6 08:49:37 1994"), the three HTTP-date forms of RFC 9110 §5.6.7.
const HTTP_DATE =
  /^\s*[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT\s*$|^\s*[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}\s*$/;

/**
 * Seconds to wait according to a `Retry-After` header: either delay-seconds or an HTTP-date
 * (relative to `now`). Negative results clamp to 0 (as Prefect's `_parse_retry_after` does);
 * anything unparseable gives `undefined`, so the caller falls back to its own backoff.
 */
export function retryAfterSeconds(headerValue: string | null | undefined, now: Date): number | undefined {
  if (headerValue == null) return undefined;
  if (DELAY_SECONDS.test(headerValue)) {
    const seconds = Number(headerValue);
    return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
  }
  if (!HTTP_DATE.test(headerValue)) return undefined;
  const at = Date.parse(headerValue.includes("GMT") ? headerValue : `${headerValue} GMT`);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, (at - now.getTime()) / 1000);
}
