/**
 * @module
 * The Lambda bundles' part of a report (bench/bundles.ts measures them): their goals — each
 * handler ≤ 1 MB unzipped, cold start ≤ 100 ms over bare node — and their markdown table. Shared by
 * `npm run bench:aws` (bench/awsReport.ts) and `npm run bench:aws-bundle` (bench/awsBundle.bench.ts).
 */
import { BUNDLE_LIMIT_BYTES, type BundlesResult, COLD_START_LIMIT_MS } from "./bundles.ts";
import { fmt } from "./stats.ts";

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

export function bundleGoals(bundles: BundlesResult): Goal[] {
  return bundles.bundles.flatMap((b) => [
    {
      goal: `bundle size: ${b.fn}`,
      target: "≤ 1 MB (1,000,000 bytes, unzipped handler)",
      measured: `${b.handlerBytes.toLocaleString("en-US")} bytes`,
      met: b.handlerBytes <= BUNDLE_LIMIT_BYTES,
    },
    {
      goal: `cold start: ${b.fn}`,
      target: `≤ ${COLD_START_LIMIT_MS} ms over bare node`,
      measured: b.coldStartMs !== null ? `${fmt(b.coldStartMs, 0)} ms` : `– (${b.error ?? "not measured"})`,
      met: b.coldStartMs !== null && b.coldStartMs <= COLD_START_LIMIT_MS,
    },
  ]);
}

/** How the bundles were measured, and a row per function. */
export function bundlesMarkdown(bundles: BundlesResult): string[] {
  return [
    `Lambda bundles (\`${bundles.command}\`, ${fmt(bundles.packageSeconds, 1)} s): cold start = median of ${bundles.rounds} ` +
      "`node --input-type=module -e \"await import('<handler>'); process.exit(0)\"` minus the median of the same " +
      `with an empty import (bare node, median ${fmt(bundles.bareMedianMs, 1)} ms), side by side in each round; Node ${bundles.nodeVersion}.`,
    "",
    "| function | zip (bytes) | handler (bytes, unzipped) | import median (ms) | **cold start over bare node (ms)** | largest inputs (bytes in bundle) |",
    "|---|---:|---:|---:|---:|---|",
    ...bundles.bundles.map(
      (b) =>
        `| ${b.fn} | ${b.zipBytes.toLocaleString("en-US")} | ${b.handlerBytes.toLocaleString("en-US")} | ${fmt(b.importMedianMs, 1)} | ${fmt(b.coldStartMs, 0)} | ${b.topInputs
          .slice(0, 4)
          .map((t) => `${t.name} ${Math.round(t.bytes / 1000)} k`)
          .join(", ")} |`,
    ),
  ];
}

/** The goals as a markdown table. */
export function goalsMarkdown(goals: readonly Goal[]): string[] {
  return [
    "| goal | target | measured | met |",
    "|---|---|---|---|",
    ...goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? "yes" : "**NO**"} |`),
  ];
}
