/**
 * @module
 * The one retry loop in core. Each caller says which failures are worth another attempt, how long
 * to wait (its own backoff or the server's `Retry-After`), and how far to go (attempts, a time
 * budget); the loop itself — attempt, decide, log, wait — is written once.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (default: unbounded; then a budget or `retryable` stops it). */
  attempts?: number;
  /** No further attempt once this long (ms) has passed since the first; a wait is cut to what is left. */
  budgetMs?: number;
  /** Whether this failure is worth another attempt. */
  retryable(error: unknown, attempt: number): boolean;
  /** How long to wait before the attempt after `attempt` (which counts from 1). */
  delayMs(attempt: number, error: unknown): number;
  sleep(ms: number): Promise<void>;
  /** Milliseconds clock for `budgetMs` (default `Date.now`). */
  now?(): number;
  /** Told of each retry before its wait (logging). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** What to throw when giving up on a retryable failure (default: the failure itself). */
  giveUp?(error: unknown, attempts: number): unknown;
}

export async function retry<T>(attempt: (n: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const now = o.now ?? Date.now;
  const started = now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!o.retryable(error, n)) throw error;
      const left = o.budgetMs === undefined ? Number.POSITIVE_INFINITY : o.budgetMs - (now() - started);
      if ((o.attempts !== undefined && n >= o.attempts) || left <= 0)
        throw o.giveUp ? o.giveUp(error, n) : error;
      const wait = Math.max(0, Math.min(left, o.delayMs(n, error)));
      o.onRetry?.(error, n, wait);
      await o.sleep(wait);
    }
  }
}

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
