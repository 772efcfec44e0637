/** Tests: a backend's submit through core's start-once protocol, as dispatch runs it. */
import { type StartOnceOptions, submitOnce } from "../../../core/backends/startOnce.ts";
import type { Backend, BackendContext } from "../../../core/ports/backend.ts";
import { silentLogger } from "../../../core/ports/logger.ts";

/** `ctx.resumed` marks a claim an earlier delivery made; sleeps are instant unless `options.sleep` is given. */
export function submitVia<R, L>(
  backend: Backend<R, L>,
  request: R,
  token: string,
  ctx: BackendContext & { resumed?: boolean },
  options: Partial<StartOnceOptions> = {},
) {
  const { resumed, ...context } = ctx;
  return submitOnce(backend, request, token, context, {
    resumed: resumed === true,
    claimedAt: Date.parse(ctx.flowRun.state?.timestamp ?? ""),
    now: Date.now,
    sleep: async () => {},
    logger: silentLogger,
    ...options,
  });
}
