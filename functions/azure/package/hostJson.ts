/**
 * @module
 * The Function App's host.json: the extension bundle (Storage Queues and timers), the queue
 * trigger's retry rule that ../hostSettings.ts states (a failing message is retried every
 * `visibilityTimeout` and moved to `<queue>-poison` after `maxDequeueCount` deliveries; bodies are
 * base64, as functions/azure/queue.ts writes them), and the function timeout.
 */
import { MAX_DEQUEUE_COUNT, RETRY_VISIBILITY_SECONDS } from "../hostSettings.ts";

/** The longest one invocation may take (Consumption plan: at most 10 min). */
export const FUNCTION_TIMEOUT = "00:05:00";

const hhmmss = (seconds: number) =>
  [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");

export function hostJson() {
  return {
    version: "2.0",
    extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" },
    functionTimeout: FUNCTION_TIMEOUT,
    extensions: {
      queues: {
        maxDequeueCount: MAX_DEQUEUE_COUNT,
        visibilityTimeout: hhmmss(RETRY_VISIBILITY_SECONDS),
        batchSize: 16,
        newBatchThreshold: 8,
        maxPollingInterval: "00:00:02",
        messageEncoding: "base64",
      },
      http: { routePrefix: "api" },
    },
    logging: { logLevel: { default: "Information" } },
  };
}
