/**
 * @module
 * Prefect's own ECS worker as the reference of `npm run bench:aws`: `prefect worker start --pool
 * <pool> --type ecs` from the pinned venv (prefect-aws), default worker settings (poll 10 s,
 * prefetch 10 s; nothing PREFECT_WORKER_* is set), boto3 pointed at a recording proxy in front of
 * moto through AWS_ENDPOINT_URL with dummy credentials (the caller's `env`). Output goes to a log
 * file. The launch is bench/workerProcess.ts's, shared with the `process` worker of `npm run bench`.
 */
import { startPrefectWorker, type WorkerOptions, type WorkerProcess } from "./workerProcess.ts";

export type EcsWorker = WorkerProcess;

export function startEcsWorker(o: WorkerOptions): Promise<EcsWorker> {
  return startPrefectWorker("ecs", o);
}
