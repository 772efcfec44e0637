/**
 * bench/cpuProfileSplit.ts on a hand-made profile: bursts cut at gaps over 5 s, idle samples left
 * out, and each busy sample counted in the first category its stack matches, for the time to the
 * next sample.
 */
import { describe, expect, it } from "vitest";
import { splitProfile } from "../../../bench/cpuProfileSplit.ts";

const entry = "file:///tmp/d/awsDispatcher.mjs";
const chunk = "file:///tmp/d/chunks/chunk-ABC.mjs";
const nodes = [
  { id: 1, callFrame: { functionName: "(root)", url: "" }, children: [2, 3, 4, 5, 8, 9] },
  { id: 2, callFrame: { functionName: "(idle)", url: "" } },
  { id: 3, callFrame: { functionName: "(garbage collector)", url: "" } },
  { id: 4, callFrame: { functionName: "dispatch", url: entry }, children: [6, 7] },
  { id: 5, callFrame: { functionName: "compileSourceTextModule", url: "node:internal/x" } },
  { id: 6, callFrame: { functionName: "send", url: chunk }, children: [10] },
  { id: 7, callFrame: { functionName: "printLog", url: entry }, children: [11] },
  { id: 8, callFrame: { functionName: "processTicksAndRejections", url: "node:internal/y" } },
  { id: 9, callFrame: { functionName: "render", url: entry } },
  { id: 10, callFrame: { functionName: "ClientRequest", url: "node:_http_client" }, children: [12] },
  { id: 11, callFrame: { functionName: "writev", url: "" } },
  { id: 12, callFrame: { functionName: "writev", url: "" } },
];

describe("splitProfile", () => {
  it("cuts bursts at long gaps and splits each by the first matching category", () => {
    // µs deltas: burst 1 = gc, compile, chunk (via node frame), log (writev under printLog),
    // bundle, node, a request's writev (under the chunk), idle; then 6 s later burst 2 = chunk, gc.
    const samples = [3, 5, 10, 11, 9, 8, 12, 2, 6, 3];
    const timeDeltas = [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 6_000_000, 1000];
    const bursts = splitProfile({ nodes, startTime: 0, samples, timeDeltas });
    expect(bursts).toHaveLength(2);
    expect(bursts[0]?.ms).toEqual({
      "garbage collection": 1,
      "compiling lazily imported modules": 2,
      "split chunks (AWS SDK)": 3,
      "writing log lines": 4,
      "writing requests to sockets": 7,
      "the bundle's own code": 5,
      "Node itself": 6,
    });
    expect(bursts[0]?.totalMs).toBe(28);
    expect(bursts[1]?.startS).toBeCloseTo(6.028, 3);
    expect(bursts[1]?.ms["split chunks (AWS SDK)"]).toBe(1);
    expect(bursts[1]?.ms["garbage collection"]).toBe(1);
  });
});
