/** Hand-written fakes of the small ports: queue, clock, backend; and a Deps builder. */

import type { JobConfiguration } from "../../../core/job/types.ts";
import type { Backend, InfraStatus } from "../../../core/ports/backend.ts";
import type { Clock } from "../../../core/ports/clock.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { Queue } from "../../../core/ports/queue.ts";
import type { Deps } from "../../../core/runtime/deps.ts";
import type { QueueMessage } from "../../../core/runtime/messages.ts";
import { InfrastructureNotFoundError, SubmitError, TransientError } from "../../../core/shared/errors.ts";
import type { FakePrefect } from "./fakePrefect.ts";

export class FakeQueue implements Queue {
  maxDelaySeconds = 900;
  sent: { message: QueueMessage; delaySeconds: number }[] = [];
  async send(message: QueueMessage, options?: { delaySeconds?: number }) {
    this.sent.push({ message, delaySeconds: options?.delaySeconds ?? 0 });
  }
}

export class FakeClock implements Clock {
  constructor(public t = Date.parse("2026-11-28T12:00:00Z")) {}
  now() {
    return new Date(this.t);
  }
  async sleep(ms: number) {
    this.t += ms;
  }
}

export class FakeBackend implements Backend<{ command: string | null }> {
  readonly type = "process";
  readonly label = "fake infrastructure";
  readonly leadSeconds = 3;
  /** Backend.supervised: unset, a started Cancelling run gets the cancel grace. */
  supervised?: boolean;
  submits: { token: string; flowRunId: string; command: string | null }[] = [];
  killed: string[] = [];
  status = new Map<string, InfraStatus>();
  failWith: Error | null = null;
  /** What the next kill throws (once), e.g. a throttled StopTask. */
  killFailWith: Error | null = null;
  /** What the infrastructure does on its way out (a flow that reports its own end). */
  onKill: ((pid: string) => Promise<void>) | null = null;
  prepare(config: JobConfiguration) {
    if (config.command === "invalid") throw new SubmitError("bad request: image must be set");
    return { command: config.command };
  }
  async find(_req: { command: string | null }, token: string) {
    return this.submits.some((s) => s.token === token) ? { pid: `pid-${token}` } : null;
  }
  async start(req: { command: string | null }, token: string, ctx: { flowRun: { id: string } }) {
    if (this.failWith) throw this.failWith;
    this.submits.push({ token, flowRunId: ctx.flowRun.id, command: req.command });
    return { pid: `pid-${token}` };
  }
  mayHaveStarted() {
    return false;
  }
  /** Each inspect, and whether it came with a rendered configuration (env and labels prepared). */
  inspected: { pid: string; configured: boolean }[] = [];
  async inspect(pid: string, config?: JobConfiguration): Promise<InfraStatus> {
    this.inspected.push({ pid, configured: Boolean(config?.labels?.["prefect.io/flow-run-id"]) });
    return this.status.get(pid) ?? { state: "running" };
  }
  async kill(pid: string) {
    const failure = this.killFailWith;
    this.killFailWith = null;
    if (failure) throw failure;
    if (this.status.get(pid)?.state === "gone") throw new InfrastructureNotFoundError(pid);
    this.killed.push(pid);
    await this.onKill?.(pid);
  }
}

export function makeDeps(api: FakePrefect, overrides: Partial<Deps> = {}) {
  const queue = new FakeQueue();
  const clock = new FakeClock();
  api.now = () => clock.now();
  const backend = new FakeBackend();
  const deps: Deps = {
    api,
    backends: new Map([["process", backend as Backend]]),
    queue,
    clock,
    logger: silentLogger,
    workerName: "pushpool-test",
    containerEnv: { PREFECT_API_URL: "http://prefect:4200/api" },
    processEnv: {},
    prefectVersion: "test",
    leadSeconds: () => 3,
    startTimeoutSeconds: 60,
    ...overrides,
  };
  return { deps, queue, clock, backend };
}

export const transient = () => new TransientError("throttled", 2);
