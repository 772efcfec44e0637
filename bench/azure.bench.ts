/**
 * @module
 * `npm run bench:azure` — pushpool on Azure Container Instances (core's tick, an in-process
 * delayed queue standing for the Storage Queue, one function process dispatching through
 * @azure/arm-resources) side by side with Prefect's own ACI worker (`prefect worker start --type
 * azure-container-instance`, prefect-azure in .venv/), on one Prefect server and the ARM fake
 * (bench/azureWorld.ts). The method, settings (BENCH_AZURE_*) and report are bench/cloudBench.ts's.
 * Quick smoke: `BENCH_AZURE_INSTANTS=2 BENCH_AZURE_RUNS_PER_INSTANT=10 npx tsx bench/azure.bench.ts`.
 */
import { ACI_LEAD_SECONDS } from "../core/backends/azure-container-instance/index.ts";
import { startAzureWorld } from "./azureWorld.ts";
import { runCloudBench } from "./cloudBench.ts";

/** An Azure Storage Queue message's longest visibility delay (7 days). */
const STORAGE_QUEUE_MAX_DELAY_SECONDS = 7 * 24 * 3600;

runCloudBench({
  cloud: "azure",
  prefix: "BENCH_AZURE",
  poolType: "azure-container-instance",
  leadSeconds: Number(process.env.PUSHPOOL_LEAD_SECONDS || ACI_LEAD_SECONDS),
  maxDelaySeconds: STORAGE_QUEUE_MAX_DELAY_SECONDS,
  labels: {
    title: "pushpool on Azure Container Instances vs Prefect's ACI worker",
    workerName: "Prefect ACI worker",
    submit: "deployment PUT",
    api: "Azure Resource Manager",
    pushpool: "core tick + delayed queue, one function process",
    worker: "`prefect worker start --type azure-container-instance`",
  },
  startWorld: startAzureWorld,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
