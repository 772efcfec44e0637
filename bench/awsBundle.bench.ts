/**
 * @module
 * `npm run bench:aws-bundle`: the four Lambda bundles alone — `npm run package:aws` offline, each
 * handler's size and its cold start over bare node, side by side in one run (bench/bundles.ts).
 * The same measurement `npm run bench:aws` ends with, without the ten minutes before it: for
 * repeating it, as the machine's speed moves the cold start by tens of ms between runs.
 *
 * Goals (exit 1 when missed): each handler ≤ 1 MB unzipped, cold start ≤ 100 ms over bare node.
 * Settings: BENCH_AWS_BUNDLE_ROUNDS (10).
 */
import { measureBundles } from "./bundles.ts";
import { bundleGoals, bundlesMarkdown, goalsMarkdown } from "./bundlesReport.ts";

const bundles = await measureBundles({
  rounds: Number(process.env.BENCH_AWS_BUNDLE_ROUNDS ?? 10),
  log: (line) => console.error(`[bench:aws-bundle] ${line}`),
});
const goals = bundleGoals(bundles);
console.log([...bundlesMarkdown(bundles), "", ...goalsMarkdown(goals)].join("\n"));
process.exit(goals.every((g) => g.met) ? 0 : 1);
