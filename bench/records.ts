/**
 * @module
 * Joins what the benchmark measured into per-run records: the run as Prefect reports it, the time
 * of its first PENDING state, and (pushpool side) the traced dispatch that recorded its pid; plus
 * the round-trip summaries of both sides and a logger that keeps pushpool's warnings.
 */
import type { LogFields, Logger } from "../core/ports/logger.ts";
import type { FlowRun } from "../core/prefect/types.ts";
import type { Side } from "./plan.ts";
import type { RoundTripResult, RunRecord, WorkerRoundTripResult } from "./report.ts";
import type { DispatchTrace, WorkerTrace } from "./roundTrips.ts";
import { summarize } from "./stats.ts";

export function record(
  run: FlowRun,
  p: { side: Side; group: number; name: string },
  pendingAt: number,
  trace: DispatchTrace | undefined,
): RunRecord {
  const expected = run.expected_start_time ? Date.parse(run.expected_start_time) : Number.NaN;
  const start = run.start_time ? Date.parse(run.start_time) : Number.NaN;
  const s = (ms: number) => (Number.isFinite(ms) ? ms / 1000 : null);
  return {
    side: p.side,
    group: p.group,
    id: run.id,
    name: p.name,
    state: run.state_type ?? "UNKNOWN",
    expectedStart: run.expected_start_time,
    start: run.start_time,
    end: run.end_time ?? null,
    latenessS: s(start - expected),
    claimLeadS: s(expected - pendingAt),
    pendingToRunningS: s(start - pendingAt),
    ...(trace
      ? {
          dispatch: {
            sequential: trace.sequential,
            requests: trace.requests,
            ms: trace.ms,
            pidToRunningS: s(start - trace.pidAtEpochMs),
            attempts: trace.attempts,
            requestLog: trace.requestLog,
          },
        }
      : {}),
  };
}

export function roundTripResult(
  traces: DispatchTrace[],
  records: RunRecord[],
  totalRequests: number,
  runs: number,
): RoundTripResult {
  return {
    dispatches: traces.length,
    sequential: summarize(traces.map((t) => t.sequential)),
    longestChainInWindow: summarize(traces.map((t) => t.longestChainInWindow)),
    requestsPerDispatch: summarize(traces.map((t) => t.requests)),
    dispatchMs: summarize(traces.map((t) => t.ms)),
    runsDispatchedMoreThanOnce: traces.filter((t) => t.attempts > 1).length,
    pidToRunning: summarize(
      records.flatMap((r) => (r.dispatch?.pidToRunningS != null ? [r.dispatch.pidToRunningS] : [])),
    ),
    totalRequests,
    requestsPerRun: runs ? totalRequests / runs : Number.NaN,
    typicalChain: mostCommon(traces.map((t) => t.steps)),
  };
}

export function countingLogger(inner: Logger): { logger: Logger; problems: string[] } {
  const problems: string[] = [];
  const keep = (level: "warn" | "error") => (message: string, fields?: LogFields) => {
    problems.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ""}`.trim());
    inner[level](message, fields);
  };
  return { logger: { ...inner, warn: keep("warn"), error: keep("error") }, problems };
}

export function workerRoundTripResult(
  traces: WorkerTrace[],
  counts: Record<string, number>,
  totalRequests: number,
  runs: number,
): WorkerRoundTripResult {
  const sharedReads = (counts["GET /deployments/{id}"] ?? 0) + (counts["GET /flows/{id}"] ?? 0);
  return {
    dispatches: traces.length,
    runSpecific: summarize(traces.map((t) => t.runSpecific)),
    sharedReadsPerRun: runs ? sharedReads / runs : Number.NaN,
    dispatchMs: summarize(traces.map((t) => t.ms)),
    totalRequests,
    requestsPerRun: runs ? totalRequests / runs : Number.NaN,
    typicalChain: mostCommon(traces.map((t) => t.steps)),
  };
}

function mostCommon(chains: string[][][]): string[][] {
  const counts = new Map<string, { chain: string[][]; count: number }>();
  for (const chain of chains) {
    const key = JSON.stringify(chain);
    const entry = counts.get(key) ?? { chain, count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count)[0]?.chain ?? [];
}
