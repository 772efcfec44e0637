/**
 * @module
 * CPU of a process tree over time, from /proc: every `intervalMs` the utime + stime of the root
 * and of its live descendants (rescanned every few samples) is summed and kept with its epoch ms
 * (`procCpuSeconds` of bench/workerProcess.ts). {@link cpuBetween} interpolates the CPU seconds
 * spent between two instants, so windows that are only known afterwards (an instant's first and
 * last RunTask) can be measured.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { procCpuSeconds } from "./workerProcess.ts";

export interface CpuSample {
  at: number;
  cpu: number;
}

export interface CpuSampler {
  samples: CpuSample[];
  /** Takes one sample now (also done on a timer). */
  sample(): void;
  stop(): void;
}

const TICKS = clockTicks();

/** `tree: false` reads the root process alone (its children are counted apart). */
export function sampleCpu(
  rootPid: number,
  { intervalMs = 250, rescanEvery = 8, tree = true } = {},
): CpuSampler {
  const samples: CpuSample[] = [];
  const scan = () => (tree ? treeOf(rootPid) : [rootPid]);
  let pids = scan();
  let n = 0;
  // A descendant that exited takes its CPU with it; keep the last value seen for each pid.
  const last = new Map<number, number>();
  const sample = () => {
    if (n++ % rescanEvery === 0) pids = scan();
    for (const pid of pids) {
      const cpu = procCpuSeconds(pid, TICKS);
      if (cpu !== null) last.set(pid, cpu);
    }
    let total = 0;
    for (const v of last.values()) total += v;
    samples.push({ at: Date.now(), cpu: total });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return { samples, sample, stop: () => clearInterval(timer) };
}

/** CPU seconds between two epoch-ms instants (linear between samples; null outside the samples). */
export function cpuBetween(samples: readonly CpuSample[], from: number, to: number): number | null {
  const a = cpuAt(samples, from);
  const b = cpuAt(samples, to);
  return a === null || b === null ? null : Math.max(0, b - a);
}

function cpuAt(samples: readonly CpuSample[], at: number): number | null {
  const first = samples[0];
  const lastSample = samples[samples.length - 1];
  if (!first || !lastSample || at < first.at || at > lastSample.at) return null;
  for (let i = 1; i < samples.length; i++) {
    const p = samples[i - 1] as CpuSample;
    const s = samples[i] as CpuSample;
    if (s.at >= at) {
      const f = s.at === p.at ? 1 : (at - p.at) / (s.at - p.at);
      return p.cpu + (s.cpu - p.cpu) * f;
    }
  }
  return lastSample.cpu;
}

/** The root and its descendants (ppid links in /proc/<pid>/stat). */
export function treeOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [root];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {}
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function clockTicks(): number {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}
