/**
 * @module
 * One runtime per function instance, as every cloud runtime keeps it: built on the first
 * invocation (not at import), checked once at start-up (./preflight.ts), and shared by the
 * invocations after it. A failed build or check is not cached: that invocation fails (its message
 * goes back to the queue, or the scheduler retries) and the next one tries again.
 */
import type { Logger } from "../ports/logger.ts";
import type { HttpFetch } from "../prefect/nodeFetch.ts";
import { describeError } from "../shared/errors.ts";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { assertPreflight } from "./preflight.ts";

/** What the start-up check needs of a runtime. */
export interface CheckedRuntime {
  config: Config;
  deps: Deps;
  logger: Logger;
}

/**
 * The start-up checks of a cold start: a failure is one error line with the fix and what becomes
 * of the invocation (`outcome`), then thrown.
 */
export async function checkAtStart<R extends CheckedRuntime>(
  rt: R,
  fetch: HttpFetch,
  outcome: string,
): Promise<R> {
  try {
    await assertPreflight({
      ...rt.config.prefect,
      pools: rt.config.pools,
      servedTypes: [...rt.deps.backends.keys()],
      fetch,
    });
  } catch (error) {
    rt.logger.error(`start-up check failed; ${outcome}`, { error: describeError(error) });
    throw error;
  }
  return rt;
}

export interface InstanceRuntime<R> {
  /** The instance's runtime, built and checked on first use. */
  get(): Promise<R>;
  /** Tests: forget it (the next `get` builds it again). */
  reset(): void;
}

/** Builds with `build` on first use, then checks with `check`; a failure is forgotten. */
export function perInstance<R>(
  build: () => R | Promise<R>,
  check: (rt: R) => Promise<R>,
): InstanceRuntime<R> {
  let current: Promise<R> | undefined;
  return {
    get() {
      if (!current) {
        const building = Promise.resolve().then(build).then(check);
        current = building;
        building.catch(() => {
          if (current === building) current = undefined;
        });
      }
      return current;
    },
    reset() {
      current = undefined;
    },
  };
}
