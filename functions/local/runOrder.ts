/**
 * @module
 * One line per event, in order, for the local stack. A flow process that fails at once (a missing
 * module) exits while its dispatch is still recording the pid; reporting that exit right away
 * logged "infrastructure exited; run crashed" before "flow run submitted" for the same run. So an
 * exit waits for its run's dispatch to finish (whatever its outcome) before it is reported.
 */

export class RunOrder {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** The flow run a queue body dispatches, or undefined (a trigger, or a body that does not parse). */
  static dispatchedRun(body: string): string | undefined {
    try {
      const message = JSON.parse(body) as { kind?: unknown; flowRunId?: unknown };
      return message.kind === "dispatch" && typeof message.flowRunId === "string"
        ? message.flowRunId
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** Tracks `work` as the dispatch of `flowRunId` (no-op without one) and returns it. */
  dispatching<T>(flowRunId: string | undefined, work: Promise<T>): Promise<T> {
    if (flowRunId === undefined) return work;
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.set(flowRunId, settled);
    void settled.then(() => {
      if (this.inFlight.get(flowRunId) === settled) this.inFlight.delete(flowRunId);
    });
    return work;
  }

  /** Runs `report` once no dispatch of `flowRunId` is in flight. */
  async afterDispatch(flowRunId: string, report: () => Promise<void>): Promise<void> {
    for (let pending = this.inFlight.get(flowRunId); pending; pending = this.inFlight.get(flowRunId))
      await pending;
    await report();
  }
}
