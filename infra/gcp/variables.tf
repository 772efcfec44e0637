variable "project" {
  description = "The Google Cloud project the functions, the queue and the topics live in."
  type        = string
}

variable "region" {
  description = "The region of the functions, the Cloud Tasks queue and the Cloud Scheduler jobs, e.g. europe-west1."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name (functions, queue, topics, service accounts)."
  type        = string
  default     = "pushpool"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}$", var.name_prefix))
    error_message = "name_prefix: 2 to 15 lowercase letters, digits or dashes, starting with a letter (service account ids are at most 30 characters)."
  }
}

variable "source_dir" {
  description = "The bundles built by `npm run package:gcp` (zipped and uploaded as the functions' source)."
  type        = string
  default     = "../../.build/gcp"
}

variable "prefect_api_url" {
  description = "The Prefect API as the functions reach it (…/api, or a Prefect Cloud workspace URL). PREFECT_API_URL."
  type        = string

  validation {
    condition     = can(regex("^https://", var.prefect_api_url))
    error_message = "prefect_api_url must be an https:// URL (the functions send the API key to it)."
  }
}

variable "container_api_url" {
  description = "The Prefect API as the flow containers reach it, when it differs (empty = prefect_api_url). PUSHPOOL_CONTAINER_API_URL."
  type        = string
  default     = ""
}

variable "pools" {
  description = "The cloud-run-v2 and vertex-ai work pools served. PUSHPOOL_POOLS."
  type        = list(string)

  validation {
    condition     = length(var.pools) > 0
    error_message = "pools: name at least one work pool."
  }
}

variable "work_queues" {
  description = "The pools' work queues to take runs from (empty = all). PUSHPOOL_WORK_QUEUES."
  type        = list(string)
  default     = []
}

variable "worker_name" {
  description = "The name pushpool heartbeats under in each pool. PUSHPOOL_WORKER_NAME."
  type        = string
  default     = "pushpool"
}

variable "prefect_api_key_secret" {
  description = "Secret Manager secret id (in var.project) holding the Prefect Cloud API key; empty for a server without one. Mounted as PREFECT_API_KEY; also passed to flow containers as a reference (PUSHPOOL_PREFECT_API_KEY_SECRET)."
  type        = string
  default     = ""
}

variable "prefect_auth_string_secret" {
  description = "Secret Manager secret id holding a self-hosted server's auth string (user:pass); empty when unused. Mounted as PREFECT_API_AUTH_STRING."
  type        = string
  default     = ""
}

variable "webhook_keys_secret" {
  description = "Secret Manager secret id holding the webhook's secret (one string of at least 16 characters) or its keys (a JSON array). Empty: the webhook refuses every request."
  type        = string
  default     = ""
}

variable "webhook_keys_is_json" {
  description = "true when webhook_keys_secret holds a JSON array of keys (mounted as PUSHPOOL_WEBHOOK_KEYS), false for one secret (PUSHPOOL_WEBHOOK_SECRET)."
  type        = bool
  default     = false
}

variable "job_service_accounts" {
  description = "Emails of the service accounts the pools' Cloud Run jobs and Vertex AI custom jobs run as (service_account_name; without one Google uses the Compute Engine default service account, then list that). Only these may be attached (iam.serviceAccountUser)."
  type        = list(string)
  default     = []
}

variable "crons" {
  description = "Cloud Scheduler jobs that each create a run of a deployment: name => {schedule (unix cron), deployment (flow/deployment or id), time_zone, parameters, paused, description}."
  type = map(object({
    schedule    = string
    deployment  = string
    time_zone   = optional(string, "Etc/UTC")
    parameters  = optional(map(any), {})
    paused      = optional(bool, false)
    description = optional(string, "")
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.crons) : can(regex("^[a-z0-9-]{1,40}$", name))])
    error_message = "crons: each name is 1 to 40 lowercase letters, digits or dashes."
  }
}

variable "tasks_max_attempts" {
  description = "Deliveries of one dispatch message before it is dead-lettered (Cloud Tasks max_attempts; the dispatch function publishes the last one to the dead-letter topic). PUSHPOOL_TASKS_MAX_ATTEMPTS."
  type        = number
  default     = 10

  validation {
    condition     = var.tasks_max_attempts >= 2 && var.tasks_max_attempts <= 100
    error_message = "tasks_max_attempts: 2 to 100 (never unlimited: a poison message must end in the dead-letter topic)."
  }
}

variable "tick_seconds" {
  description = "The tick's cadence as reported to Prefect (the Cloud Scheduler job fires every minute). PUSHPOOL_TICK_SECONDS."
  type        = number
  default     = 60
}

variable "horizon_seconds" {
  description = "How far ahead the tick asks for scheduled runs (empty = 2 × tick). PUSHPOOL_HORIZON_SECONDS."
  type        = string
  default     = ""
}

variable "lead_seconds" {
  description = "Deliver a dispatch this long before the scheduled time (empty = per pool type: cloud-run-v2 20, vertex-ai 90). PUSHPOOL_LEAD_SECONDS."
  type        = string
  default     = ""
}

variable "burst_rate" {
  description = "Dispatches per second the Prefect API sustains. PUSHPOOL_BURST_RATE."
  type        = number
  default     = 10
}

variable "start_timeout_seconds" {
  description = "A claim with no infrastructure after this long is resubmitted; after twice as long, Crashed. PUSHPOOL_START_TIMEOUT_SECONDS."
  type        = number
  default     = 300
}

variable "cancel_grace_seconds" {
  description = "Time a Cancelling run is left to its in-container runner before its job is cancelled. PUSHPOOL_CANCEL_GRACE_SECONDS."
  type        = number
  default     = 10
}

variable "infrastructure_events_filter" {
  description = "Cloud Logging filter of the Cloud Run job / Vertex AI custom job state changes routed to the infrastructure-events topic (the tick's reconcile covers every state anyway)."
  type        = string
  default     = "(resource.type=\"cloud_run_job\" AND logName:\"cloudaudit.googleapis.com%2Fsystem_event\") OR (resource.type=\"aiplatform.googleapis.com/CustomJob\" AND logName:\"cloudaudit.googleapis.com%2Factivity\")"
}

variable "kms_key_name" {
  description = "Optional customer-managed key (projects/…/cryptoKeys/…) for the source bucket and the topics; empty = Google-managed encryption. Grant the Cloud Storage and Pub/Sub service agents roles/cloudkms.cryptoKeyEncrypterDecrypter on it first."
  type        = string
  default     = ""
}
