/**
 * @module
 * `npm run bench:gcp` — pushpool on Cloud Run (core's tick, an in-process delayed queue standing
 * for Cloud Tasks, one function process dispatching through @google-cloud/run) side by side with
 * Prefect's own Cloud Run v2 worker (`prefect worker start --type cloud-run-v2`, prefect-gcp in
 * .venv/), on one Prefect server and the Cloud Run fake (bench/gcpWorld.ts). The method, settings
 * (BENCH_GCP_*) and report are bench/cloudBench.ts's. Quick smoke:
 * `BENCH_GCP_INSTANTS=2 BENCH_GCP_RUNS_PER_INSTANT=10 npx tsx bench/gcp.bench.ts`.
 */
import { CLOUD_RUN_LEAD_SECONDS } from "../core/backends/cloud-run-v2/index.ts";
import { runCloudBench } from "./cloudBench.ts";
import { startGcpWorld } from "./gcpWorld.ts";

/** Cloud Tasks' longest schedule delay (30 days). */
const CLOUD_TASKS_MAX_DELAY_SECONDS = 30 * 24 * 3600;

runCloudBench({
  cloud: "gcp",
  prefix: "BENCH_GCP",
  poolType: "cloud-run-v2",
  leadSeconds: Number(process.env.PUSHPOOL_LEAD_SECONDS || CLOUD_RUN_LEAD_SECONDS),
  maxDelaySeconds: CLOUD_TASKS_MAX_DELAY_SECONDS,
  labels: {
    title: "pushpool on Cloud Run vs Prefect's Cloud Run v2 worker",
    workerName: "Prefect Cloud Run v2 worker",
    submit: "RunJob",
    api: "Cloud Run",
    pushpool: "core tick + delayed queue, one function process",
    worker: "`prefect worker start --type cloud-run-v2`",
  },
  startWorld: startGcpWorld,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
