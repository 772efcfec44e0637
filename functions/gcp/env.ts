/**
 * @module
 * The environment each Google Cloud function reads: one list, shared by the runtime wiring
 * (./wiring.ts), the Terraform in infra/gcp (a test asserts every function gets what it reads) and
 * docs/deploy/gcp.md. Secrets reach the functions as Secret Manager references mounted as
 * environment variables (`secret_environment_variables`), never as plain values in Terraform.
 */

/** Settings every function reads (core/runtime/config.ts). */
export const GCP_COMMON_ENV = [
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
  /** The project the queue and topics live in (default: the function's own project). */
  "PUSHPOOL_GCP_PROJECT",
  /** The region of the functions and the Cloud Tasks queue. */
  "PUSHPOOL_GCP_REGION",
] as const;

/** Cloud Tasks: delayed delivery of dispatch messages to the dispatch function (Pub/Sub cannot delay). */
export const GCP_QUEUE_ENV = [
  /** `projects/<p>/locations/<r>/queues/<q>`. */
  "PUSHPOOL_TASKS_QUEUE",
  /** The dispatch function's HTTPS URL, the tasks' target. */
  "PUSHPOOL_DISPATCH_URL",
  /** The service account whose OIDC token Cloud Tasks attaches to each task's request. */
  "PUSHPOOL_TASKS_SERVICE_ACCOUNT",
] as const;

/** What each function reads besides {@link GCP_COMMON_ENV}. */
export const GCP_FUNCTION_ENV = {
  /** HTTP, invoked by Cloud Tasks (OIDC). Re-queues early or deferred messages; dead-letters on the last attempt. */
  dispatch: [
    ...GCP_QUEUE_ENV,
    /** `projects/<p>/topics/<t>`: where a message goes after its last attempt. */
    "PUSHPOOL_DEAD_LETTER_TOPIC",
    /** The Cloud Tasks queue's `max_attempts` (the dispatch function dead-letters on the last). */
    "PUSHPOOL_TASKS_MAX_ATTEMPTS",
    "PUSHPOOL_PREFECT_API_KEY_SECRET",
    "PUSHPOOL_PREFECT_AUTH_STRING_SECRET",
  ],
  /** HTTP, invoked by Cloud Scheduler every minute (OIDC). */
  tick: [...GCP_QUEUE_ENV, "PUSHPOOL_HORIZON_SECONDS", "PUSHPOOL_LEAD_SECONDS", "PUSHPOOL_BURST_RATE"],
  /** HTTP, public: every request is checked against the HMAC keys. */
  webhook: [...GCP_QUEUE_ENV, "PUSHPOOL_WEBHOOK_KEYS", "PUSHPOOL_WEBHOOK_SECRET"],
  /** HTTP, invoked by one Cloud Scheduler job per cron (OIDC); `X-CloudScheduler-ScheduleTime` is the idempotency key. */
  cron: [...GCP_QUEUE_ENV],
  /** CloudEvent from the infrastructure-events Pub/Sub topic (Cloud Run / Vertex AI state changes). */
  events: [],
} as const satisfies Record<string, readonly string[]>;

export type GcpFunctionName = keyof typeof GCP_FUNCTION_ENV;
