/**
 * @module
 * Where the dispatch handler's CPU goes, from a V8 CPU profile of the bench's dispatcher process
 * (`BENCH_AWS_DISPATCHER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:aws`).
 * The profile's busy samples are cut into bursts (a gap of more than 5 s between two busy samples
 * ends one: each instant of the bench is a burst), and each burst's main-thread time is split by
 * what its stack holds, the first match from the top of this list:
 *
 * - garbage collection (V8's `(garbage collector)` node);
 * - compiling lazily imported modules (`compileSourceTextModule`: the EC2 chunk on a first instant);
 * - writing log lines (a stack through Powertools' `printLog` / `processLogItem`);
 * - writing requests to sockets (any other `writev`: on loopback, the syscall also does the
 *   receiving side's TCP work, so it is heavier than on a network);
 * - the split chunks (a frame in `chunks/`: in the dispatcher bundle, the AWS SDK's shared code and
 *   the EC2 client);
 * - the bundle's own code (a frame in the entry file: pushpool, zod, Powertools, the Prefect client);
 * - Node itself (HTTP, streams, timers, promise jobs).
 *
 * Only the main thread is sampled: V8's background threads (concurrent GC and compilation) are not
 * in the profile. Usage: `npx tsx bench/cpuProfileSplit.ts /tmp/prof/<file>.cpuprofile [min ms]`
 * (bursts under `min ms`, default 100, are not printed).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const CATEGORIES = [
  "garbage collection",
  "compiling lazily imported modules",
  "writing log lines",
  "writing requests to sockets",
  "split chunks (AWS SDK)",
  "the bundle's own code",
  "Node itself",
] as const;
type Category = (typeof CATEGORIES)[number];

export interface Burst {
  /** Seconds from the profile's start. */
  startS: number;
  durationS: number;
  ms: Record<Category, number>;
  totalMs: number;
}

/** The profile's bursts, each split by {@link CATEGORIES} (milliseconds of main-thread samples). */
export function splitProfile(profile: Profile, gapMs = 5_000): Burst[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const category = new Map<number, Category | null>();
  const categoryOf = (id: number): Category | null => {
    const known = category.get(id);
    if (known !== undefined) return known;
    const leaf = byId.get(id)?.callFrame;
    let found: Category | null = null;
    if (!leaf || leaf.functionName === "(idle)" || leaf.functionName === "(program)") found = null;
    else if (leaf.functionName === "(garbage collector)") found = "garbage collection";
    else if (leaf.functionName === "compileSourceTextModule") found = "compiling lazily imported modules";
    else {
      const frames: ProfileNode["callFrame"][] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame) frames.push(frame);
      }
      if (frames.some((f) => f.functionName === "printLog" || f.functionName === "processLogItem"))
        found = "writing log lines";
      else if (leaf.functionName === "writev") found = "writing requests to sockets";
      else if (frames.some((f) => f.url.includes("/chunks/"))) found = "split chunks (AWS SDK)";
      else if (frames.some((f) => f.url.startsWith("file:"))) found = "the bundle's own code";
      else found = "Node itself";
    }
    category.set(id, found);
    return found;
  };
  const bursts: Burst[] = [];
  let current: { start: number; end: number; ms: Record<Category, number> } | null = null;
  let t = profile.startTime;
  const flush = () => {
    if (!current) return;
    const totalMs = Object.values(current.ms).reduce((s, v) => s + v, 0);
    bursts.push({
      startS: (current.start - profile.startTime) / 1e6,
      durationS: (current.end - current.start) / 1e6,
      ms: current.ms,
      totalMs,
    });
  };
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const c = categoryOf(id);
    if (c === null) return;
    if (!current || t - current.end > gapMs * 1000) {
      flush();
      current = {
        start: t,
        end: t,
        ms: Object.fromEntries(CATEGORIES.map((k) => [k, 0])) as Record<Category, number>,
      };
    }
    current.end = t;
    current.ms[c] += (profile.timeDeltas[i + 1] ?? delta) / 1000; // a sample stands for the time to the next
  });
  flush();
  return bursts;
}

function main(): void {
  const [file, min] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: npx tsx bench/cpuProfileSplit.ts <file.cpuprofile> [min ms]\n");
    process.exit(2);
  }
  const minMs = Number(min ?? 100);
  const bursts = splitProfile(JSON.parse(readFileSync(file, "utf8")) as Profile).filter(
    (b) => b.totalMs >= minMs,
  );
  const head = bursts.map((b) => `burst at ${b.startS.toFixed(1)} s (${b.durationS.toFixed(1)} s long)`);
  const lines = [
    `| main thread, ms (% of the burst) | ${head.join(" | ")} |`,
    `|---|${head.map(() => "---:").join("|")}|`,
  ];
  for (const c of CATEGORIES)
    lines.push(
      `| ${c} | ${bursts.map((b) => `${b.ms[c].toFixed(0)} (${((100 * b.ms[c]) / b.totalMs).toFixed(0)} %)`).join(" | ")} |`,
    );
  lines.push(`| **total** | ${bursts.map((b) => b.totalMs.toFixed(0)).join(" | ")} |`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
