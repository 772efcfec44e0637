/**
 * The soak's two proxy chains (seeded; ≥ 5 % of requests faulted on each):
 *
 *   pushpool's Prefect client → recorder → fault proxy → Prefect server
 *   pushpool's ECS port (ECS, EC2, Logs) → recorder → fault proxy → moto
 *
 * `set_state` gets a heavier share, lost-after-apply first among it: the claim whose answer never
 * arrives is the case exactly-once depends on. On moto the fault proxy sees one route (`POST /`), so
 * every ECS call — RunTask included — gets the same rates. moto ignores RunTask's `clientToken`, and
 * nothing here makes up for it: a RunTask whose answer is lost after moto started the task must
 * not lead to a second task through pushpool's own protocol alone.
 */
import { type FaultProxy, type FaultRates, startFaultProxy } from "../reliability/faultProxy.ts";
import { type RecordedRequest, startRelay } from "./relay.ts";

export const PREFECT_RATES: FaultRates = {
  status500: 0.01,
  status502: 0.015,
  status503: 0.015,
  status429: 0.01,
  reset: 0.015,
  truncate: 0.01,
  latency: 0.005,
  lostAfterApply: 0.015,
};
export const SET_STATE_RATES: FaultRates = {
  lostAfterApply: 0.08,
  status503: 0.03,
  reset: 0.02,
  truncate: 0.02,
};
export const ECS_RATES: FaultRates = {
  status500: 0.015,
  status503: 0.015,
  status429: 0.015,
  reset: 0.015,
  truncate: 0.01,
  latency: 0.005,
  lostAfterApply: 0.02,
};

export interface Proxies {
  /** PREFECT_API_URL for pushpool. */
  prefectUrl: string;
  /** The AWS endpoint of pushpool's ECS port. */
  ecsUrl: string;
  prefect: FaultProxy;
  ecs: FaultProxy;
  stop(): Promise<void>;
}

export async function startProxies(o: {
  prefectApiUrl: string;
  motoEndpoint: string;
  seed: number;
  /** Off: forward everything (the secret-hygiene test records without faults). */
  faults?: boolean;
  onRequest(request: RecordedRequest, peer: "prefect" | "ecs"): void;
}): Promise<Proxies> {
  const on = o.faults ?? true;
  const prefect = await startFaultProxy({
    upstream: o.prefectApiUrl,
    seed: o.seed,
    latencyMs: 11_000, // beyond the client's 10 s timeout: the server applies what the caller gave up on
    retryAfterSeconds: 1,
    rules: on ? [{ method: "POST", path: /\/set_state$/, rates: SET_STATE_RATES }] : [],
    rates: on ? PREFECT_RATES : {},
  });
  const ecs = await startFaultProxy({
    upstream: o.motoEndpoint,
    seed: o.seed ^ 0x5a5a,
    latencyMs: 2_500,
    retryAfterSeconds: 1,
    rates: on ? ECS_RATES : {},
  });
  const prefectRecorder = await startRelay({
    upstream: prefect.url,
    onRequest: (r) => o.onRequest(r, "prefect"),
  });
  const ecsRecorder = await startRelay({ upstream: ecs.url, onRequest: (r) => o.onRequest(r, "ecs") });
  return {
    prefectUrl: prefectRecorder.url,
    ecsUrl: ecsRecorder.url,
    prefect,
    ecs,
    async stop() {
      await Promise.all([prefectRecorder.stop(), ecsRecorder.stop()]);
      await Promise.all([prefect.stop(), ecs.stop()]);
    },
  };
}
