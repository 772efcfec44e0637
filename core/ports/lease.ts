/**
 * @module
 * A lease that at most one caller holds at a time, across every function instance: what lets only
 * one of several deliveries resuming the same claim start its infrastructure
 * (core/backends/startOnce.ts). Core's implementation keeps leases on the Prefect server itself
 * (core/prefect/variableLease.ts), so it needs nothing a runtime does not already have.
 */
export interface StartLease {
  /**
   * Takes the lease `key` for `ttlMs`: true when this caller now holds it, false while another
   * caller's lease on the same key is live. An expired lease is taken over. Throws a
   * `TransientError` when the lease store cannot answer.
   */
  acquire(key: string, ttlMs: number): Promise<boolean>;
}
