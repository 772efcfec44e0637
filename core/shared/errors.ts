/**
 * @module
 * pushpool's error hierarchy. Every error says whether retrying can help (`retryable`), so the
 * runtimes know whether to redeliver a message or to acknowledge it and report the run.
 * `instanceof` works across bundles through a symbol marker (each function bundles its own core).
 */

const MARK = Symbol.for("pushpool.error");

export abstract class PushpoolError extends Error {
  abstract readonly retryable: boolean;
  readonly [MARK] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
  static is(value: unknown): value is PushpoolError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MARK] === true;
  }
}

/** A message, request or config that can never succeed. Not retried. */
export class ValidationError extends PushpoolError {
  readonly retryable = false;
}

/** A configuration error at start-up (missing or bad environment variable). */
export class ConfigError extends PushpoolError {
  readonly retryable = false;
}

/** The rendered job configuration cannot run on its backend (bad image, invalid field…). */
export class InvalidJobConfigurationError extends PushpoolError {
  readonly retryable = false;
}

/** A transient failure (throttling, 5xx, timeouts, capacity). Retry after `retryAfterSeconds` if given. */
export class TransientError extends PushpoolError {
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A non-retryable failure to start infrastructure (submit rejected by the cloud). */
export class SubmitError extends PushpoolError {
  readonly retryable = false;
}

/**
 * A resumed claim stopped being the run's current state before its infrastructure started (undone
 * as stale, or the run moved on while the delivery waited): nothing was started, nothing to report.
 */
export class ClaimLostError extends PushpoolError {
  readonly retryable = false;
}

/** `kill` / `inspect` found nothing behind the pid. */
export class InfrastructureNotFoundError extends PushpoolError {
  readonly retryable = false;
}

/** The Prefect API answered with an error status. `detail` is the server's own message. */
export class PrefectApiError extends PushpoolError {
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`Prefect API ${method} ${path} → ${status}: ${detail}`);
    this.retryable = status === 408 || status === 429 || status >= 500;
  }
}

/** Webhook request rejected. `status` is the HTTP status to answer with. */
export class WebhookError extends PushpoolError {
  readonly retryable = false;
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** True when an error is worth retrying (ours marked retryable, or an unknown network error). */
export function isRetryable(error: unknown): boolean {
  if (PushpoolError.is(error)) return error.retryable;
  return false;
}

/**
 * The one rule every queue consumer applies: a failure that is ours and not retryable will fail the
 * same way again — acknowledge it with its reason; anything else (retryable, or not ours: an
 * unexpected bug, a network error) is thrown so the queue redelivers it, then dead-letters it.
 */
export function isPermanent(error: unknown): boolean {
  return PushpoolError.is(error) && !error.retryable;
}

/** A network error's code (`ECONNRESET`…), on the error or on its cause (as `fetch` wraps it); "" when none. */
export function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** Python-style class name + message, as Prefect's messages show exceptions: `Class: detail`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `Error: ${String(error)}`;
}
