/**
 * @module
 * One piece of infrastructure per claim, on every backend — the protocol written once; a backend
 * supplies only its primitives (core/ports/backend.ts: `find`, `start`, `mayHaveStarted`).
 *
 * Every start carries the claim's token (./token.ts), and before a second start for a claim whose
 * first one may have started something, what the token started is looked for and adopted:
 *
 * - a **resumed** claim (an earlier delivery claimed the run and may have started infrastructure,
 *   then died before recording the pid) looks first;
 * - a retry after an **ambiguous** failure (no answer, a 5xx, a body cut mid-way: the request may
 *   have been applied and only the answer lost) looks first;
 * - a retry after a failure that certainly started nothing (throttling, any other 4xx) does not.
 *
 * A first start of a fresh claim pays for no look-up. A look-up cannot see a start still on its way:
 * when a resumed claim younger than {@link CLAIM_SETTLE_MS} has found nothing (a duplicate message
 * read the run right after another delivery claimed it), the delivery that made the claim may be
 * starting it this very moment, so the look-up is repeated once the claim is that old, and only
 * then does this delivery start anything.
 *
 * Several deliveries may resume the same claim at the same moment (a redelivery racing the tick's
 * resubmission, or two redeliveries): each finds nothing, and each would start a piece. Where the
 * runtime supplies a {@link StartLease}, a resumed claim that found nothing takes the claim's lease
 * before it starts; the others wait out the settle time, look again, and leave the claim to the
 * lease holder (back to the queue) when they still find nothing. The lease outlives a delivery
 * ({@link START_LEASE_TTL_MS}), so a holder that died is taken over only after its start, had it
 * reached the cloud, would be visible.
 *
 * A resumed claim is read once more right before its start: a claim undone as stale, or one the run
 * moved on from while this delivery waited, starts nothing ({@link ClaimLostError}). A fresh claim
 * was made a moment ago by this very delivery and pays for no read.
 *
 * Only a transient failure whose retry-after is short is retried here; anything longer goes back to
 * the queue, and the redelivery resumes the claim (it looks first).
 */
import type { Backend, BackendContext, Started } from "../ports/backend.ts";
import type { StartLease } from "../ports/lease.ts";
import type { Logger } from "../ports/logger.ts";
import { ClaimLostError, TransientError } from "../shared/errors.ts";
import { retry } from "../shared/retry.ts";

/**
 * How long a claim may still be starting its infrastructure in the delivery that made it (claim →
 * start answered takes seconds, retries included). Redeliveries after a crash and reconcile come later.
 */
export const CLAIM_SETTLE_MS = 15_000;

/**
 * How long a resumed claim's start lease holds: longer than one delivery may live (the dispatch
 * function's timeout is 60 s), so the holder's start, if any, is visible before anyone takes over.
 */
export const START_LEASE_TTL_MS = 120_000;

/** Transient failures with a retry-after up to this are retried in the same delivery. */
export const QUICK_RETRY_SECONDS = 5;

export interface StartOnceOptions {
  /** True when an earlier delivery made this claim (it may have started the infrastructure). */
  resumed: boolean;
  /** When the claim was made (ms since the epoch; NaN when unknown: treated as old). */
  claimedAt: number;
  now(): number;
  /** Start attempts in this call for short transient failures (default 3); then the error is thrown. */
  attempts?: number;
  sleep(ms: number): Promise<void>;
  random?(): number;
  logger: Logger;
  /** How long a young claim may still be starting (default {@link CLAIM_SETTLE_MS}; tests shorten it). */
  settleMs?: number;
  /** Lets one of several concurrent resumers of a claim start it (none: no guard across instances). */
  lease?: StartLease;
  /**
   * For a resumed claim, read right before its start: null while the claim is still the run's
   * current state, else what the run is now (none: not checked).
   */
  stillClaimed?(): Promise<string | null>;
}

export interface StartOnceResult extends Started {
  /** True when the infrastructure was found (started by an earlier delivery or attempt). */
  adopted: boolean;
}

/** Resolves, then starts the claim's one piece of infrastructure (or adopts the one it has). */
export async function submitOnce<Request, Launch>(
  backend: Backend<Request, Launch>,
  request: Request,
  token: string,
  ctx: BackendContext,
  options: StartOnceOptions,
): Promise<StartOnceResult> {
  const launch = backend.resolve ? await backend.resolve(request, ctx) : (request as unknown as Launch);
  return await startOnce(backend, launch, token, ctx, options);
}

/** The protocol itself, on an already resolved launch. */
export async function startOnce<Launch>(
  backend: Pick<Backend<unknown, Launch>, "find" | "start" | "mayHaveStarted" | "label">,
  launch: Launch,
  token: string,
  ctx: BackendContext,
  o: StartOnceOptions,
): Promise<StartOnceResult> {
  const flowRunId = ctx.flowRun.id;
  const random = o.random ?? Math.random;
  const adopt = (found: Started, after: string): StartOnceResult => {
    o.logger.info(`Found the ${backend.label} of this claim; not starting another`, {
      flowRunId,
      pid: found.pid,
      after,
    });
    return { pid: found.pid, adopted: true };
  };
  let lookFirst = o.resumed;
  let leased = false;
  const settleMs = o.settleMs ?? CLAIM_SETTLE_MS;
  /** Another delivery holds this claim's start: adopt what it started, else leave the claim to it. */
  const leaveToHolder = async (): Promise<StartOnceResult> => {
    o.logger.info("Another delivery is starting this claim: waiting for its start", {
      flowRunId,
      waitMs: settleMs,
    });
    await o.sleep(settleMs);
    const theirs = await backend.find(launch, token, ctx);
    if (theirs) return adopt(theirs, "a concurrent resumer's start");
    throw new TransientError(
      `another delivery holds the start of this claim and no ${backend.label} is visible yet`,
      Math.ceil(settleMs / 1000) + QUICK_RETRY_SECONDS,
    );
  };
  return await retry(
    async (attempt) => {
      if (lookFirst) {
        const found = await backend.find(launch, token, ctx);
        if (found) return adopt(found, attempt > 1 ? "an ambiguous start failure" : "a resumed claim");
        const young = settleMs - (o.now() - o.claimedAt);
        if (attempt === 1 && o.resumed && young > 0) {
          o.logger.info("Claim too young to resume: waiting for what its delivery may be starting", {
            flowRunId,
            waitMs: Math.round(young),
          });
          await o.sleep(young);
          const late = await backend.find(launch, token, ctx);
          if (late) return adopt(late, "a young resumed claim");
        }
        if (o.resumed && o.lease && !leased) {
          leased = await o.lease.acquire(token, START_LEASE_TTL_MS);
          if (!leased) return await leaveToHolder();
        }
      }
      if (o.resumed && o.stillClaimed) {
        const now = await o.stillClaimed();
        if (now !== null)
          throw new ClaimLostError(`the claim being resumed is no longer current: the run is ${now}`);
      }
      const started = await backend.start(launch, token, ctx);
      return { pid: started.pid, adopted: false };
    },
    {
      attempts: o.attempts ?? 3,
      retryable: (error) =>
        error instanceof TransientError && (error.retryAfterSeconds ?? 0) <= QUICK_RETRY_SECONDS,
      delayMs: () => 1000 + random() * 3000,
      sleep: o.sleep,
      onRetry: (error, attempt) => {
        // Once a start of this call may have started something, every further one looks first.
        lookFirst ||= backend.mayHaveStarted(error);
        o.logger.warn(`retrying the start of the ${backend.label}`, {
          flowRunId,
          attempt,
          reason: (error as Error).message,
          lookFirst,
        });
      },
    },
  );
}
