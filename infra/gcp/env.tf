# The environment of each function, name for name as functions/gcp/env.ts lists it
# (test/unit/iac/wiring.test.ts asserts that every function gets every name its list gives).
# Plain values in *_env; secrets only as Secret Manager references in *_secret_env (an empty secret
# id leaves that variable unset: a server without an API key, a webhook without keys).
locals {
  queue_path = google_cloud_tasks_queue.dispatch.id
  # The function's stable URL, known before it exists (dispatch re-queues to itself: no cycle).
  dispatch_url = "https://${var.region}-${var.project}.cloudfunctions.net/${var.name_prefix}-dispatch"

  common_env = {
    PREFECT_API_URL                = var.prefect_api_url
    PUSHPOOL_POOLS                 = join(",", var.pools)
    PUSHPOOL_WORK_QUEUES           = join(",", var.work_queues)
    PUSHPOOL_WORKER_NAME           = var.worker_name
    PUSHPOOL_CONTAINER_API_URL     = var.container_api_url == "" ? var.prefect_api_url : var.container_api_url
    PUSHPOOL_TICK_SECONDS          = tostring(var.tick_seconds)
    PUSHPOOL_START_TIMEOUT_SECONDS = tostring(var.start_timeout_seconds)
    PUSHPOOL_CANCEL_GRACE_SECONDS  = tostring(var.cancel_grace_seconds)
    PUSHPOOL_GCP_PROJECT           = var.project
    PUSHPOOL_GCP_REGION            = var.region
  }

  common_secret_env = {
    PREFECT_API_KEY         = var.prefect_api_key_secret
    PREFECT_API_AUTH_STRING = var.prefect_auth_string_secret
  }

  queue_env = {
    PUSHPOOL_TASKS_QUEUE           = local.queue_path
    PUSHPOOL_DISPATCH_URL          = local.dispatch_url
    PUSHPOOL_TASKS_SERVICE_ACCOUNT = google_service_account.tasks_invoker.email
  }

  dispatch_env = {
    PUSHPOOL_DEAD_LETTER_TOPIC          = google_pubsub_topic.dispatch_dead_letter.id
    PUSHPOOL_TASKS_MAX_ATTEMPTS         = tostring(var.tasks_max_attempts)
    PUSHPOOL_PREFECT_API_KEY_SECRET     = var.prefect_api_key_secret == "" ? "" : "projects/${var.project}/secrets/${var.prefect_api_key_secret}"
    PUSHPOOL_PREFECT_AUTH_STRING_SECRET = var.prefect_auth_string_secret == "" ? "" : "projects/${var.project}/secrets/${var.prefect_auth_string_secret}"
  }

  tick_env = {
    PUSHPOOL_HORIZON_SECONDS = var.horizon_seconds
    PUSHPOOL_LEAD_SECONDS    = var.lead_seconds
    PUSHPOOL_BURST_RATE      = tostring(var.burst_rate)
  }

  webhook_secret_env = {
    PUSHPOOL_WEBHOOK_KEYS   = var.webhook_keys_is_json ? var.webhook_keys_secret : ""
    PUSHPOOL_WEBHOOK_SECRET = var.webhook_keys_is_json ? "" : var.webhook_keys_secret
  }
}
