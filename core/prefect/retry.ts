/**
 * @module
 * Prefect's retry rules (the loop and the backoff are core/shared/retry.ts): which statuses are
 * worth retrying, and how to read a `Retry-After` header. No I/O, no clock of its own.
 */

/**
 * HTTP statuses the Prefect Python client retries (`PrefectHttpxAsyncClient.send`): 408, 429, 502,
 * 503. A plain 500 is *not* retried there (the server answers 503 for retryable DB errors), so it
 * is not retried here either.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503]);

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
