/**
 * @module
 * The app settings each Azure function reads: one list, shared by the runtime wiring
 * (./wiring.ts), the Terraform in infra/azure (a test asserts the Function App gets what its
 * functions read) and docs/deploy/azure.md. Secrets are Key Vault references in app settings
 * (`@Microsoft.KeyVault(SecretUri=…)`), resolved by the platform into the same names.
 */

/** Settings every function reads (core/runtime/config.ts). */
export const AZURE_COMMON_ENV = [
  "PREFECT_API_URL",
  "PREFECT_API_KEY",
  "PREFECT_API_AUTH_STRING",
  "PUSHPOOL_POOLS",
  "PUSHPOOL_WORK_QUEUES",
  "PUSHPOOL_WORKER_NAME",
  "PUSHPOOL_CONTAINER_API_URL",
  "PUSHPOOL_TICK_SECONDS",
  "PUSHPOOL_START_TIMEOUT_SECONDS",
  "PUSHPOOL_CANCEL_GRACE_SECONDS",
  /** The storage account holding the dispatch queue, by identity: `AzureWebJobsStorage__queueServiceUri`. */
  "AzureWebJobsStorage__queueServiceUri",
  /** The client id of the Function App's user-assigned managed identity (DefaultAzureCredential). */
  "AZURE_CLIENT_ID",
  /** Default subscription for pools whose template names none. */
  "PUSHPOOL_AZURE_SUBSCRIPTION_ID",
] as const;

/** What each function reads besides {@link AZURE_COMMON_ENV}. */
export const AZURE_FUNCTION_ENV = {
  /** Storage Queue trigger on `PUSHPOOL_QUEUE_NAME`; host.json `maxDequeueCount` sends poison to `<queue>-poison`. */
  dispatch: ["PUSHPOOL_QUEUE_NAME"],
  /** Timer trigger, every minute. */
  tick: ["PUSHPOOL_QUEUE_NAME", "PUSHPOOL_HORIZON_SECONDS", "PUSHPOOL_LEAD_SECONDS", "PUSHPOOL_BURST_RATE"],
  /** HTTP trigger (anonymous level: every request is checked against the HMAC keys). */
  webhook: ["PUSHPOOL_QUEUE_NAME", "PUSHPOOL_WEBHOOK_KEYS", "PUSHPOOL_WEBHOOK_SECRET"],
  /** One timer trigger per entry of `PUSHPOOL_CRONS` (JSON), each creating a run of its deployment. */
  cron: ["PUSHPOOL_QUEUE_NAME", "PUSHPOOL_CRONS"],
  /** Timer trigger watching the poison queue: each poison message is logged with its reason (never retried). */
  poison: ["PUSHPOOL_QUEUE_NAME"],
} as const satisfies Record<string, readonly string[]>;

export type AzureFunctionName = keyof typeof AZURE_FUNCTION_ENV;
