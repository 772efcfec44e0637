/**
 * @module
 * Lambda handler for ECS task state changes: an EventBridge rule
 * (`source: [aws.ecs], detail-type: [ECS Task State Change]`, optionally `detail.clusterArn`)
 * targets an SQS queue whose event source mapping (ReportBatchItemFailures) invokes this function.
 * Each record → the ECS backend's interpretation (core/backends/ecs/taskEvents.ts) → core
 * handleInfraEvent: InfrastructurePending while provisioning, Crashed with the exit-code explanation
 * and the log tail when the task stopped badly.
 *
 * Dropped with a log line (acknowledged): malformed records, events of tasks pushpool did not start
 * (`startedBy` not `pushpool/<flowRunId>`), and tasks in clusters outside `PUSHPOOL_ECS_CLUSTERS`.
 * A failure that is not permanent (Prefect or AWS unavailable) is a batch item failure (redelivered):
 * core/runtime/consume.ts.
 *
 * Export: `handler` (functions/aws/events.handler).
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { ecsCrashLogTail } from "../../core/backends/ecs/crashLogs.ts";
import { interpretEcsTaskEvent } from "../../core/backends/ecs/taskEvents.ts";
import { handleInfraEvent } from "../../core/runs/infraEvents.ts";
import { consumeRecord } from "../../core/runtime/consume.ts";
import { ecsTaskStateChange } from "./envelope.ts";
import { type AwsRuntime, runtime, servesCluster } from "./wiring.ts";

export function makeEventsHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    const processor = new BatchProcessor(EventType.SQS);
    return await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, rt), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

async function handleRecord(record: SQSRecord, rt: AwsRuntime): Promise<void> {
  const { logger, deps } = rt;
  const ids: Record<string, unknown> = { messageId: record.messageId };
  await consumeRecord("task event record", ids, logger, async () => {
    const envelope = ecsTaskStateChange(record);
    ids.eventId = envelope.id;
    const task = interpretEcsTaskEvent(envelope.detail);
    if (!task) {
      logger.info("task event dropped: task not started by pushpool", {
        ...ids,
        taskArn: envelope.detail.taskArn,
      });
      return;
    }
    Object.assign(ids, { flowRunId: task.flowRunId, taskArn: task.taskArn, status: task.status });
    if (!servesCluster(rt.clusters, task.clusterArn)) {
      logger.info("task event dropped: cluster not served here", { ...ids, cluster: task.clusterArn });
      return;
    }
    const api = rt.ecsApiFor(envelope.region ? { region_name: envelope.region } : null);
    const outcome = await handleInfraEvent(task, {
      api: deps.api,
      logger,
      backend: rt.ecs,
      logs: { tail: () => ecsCrashLogTail(api, task) },
    });
    logger.info("task event handled", { ...ids, ...outcome });
  });
}

export const handler = makeEventsHandler();
