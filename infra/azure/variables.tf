variable "subscription_id" {
  description = "The subscription pushpool is deployed in; also PUSHPOOL_AZURE_SUBSCRIPTION_ID, the default for pools whose template names none."
  type        = string
}

variable "location" {
  description = "The Azure region of the Function App, storage account and Key Vault, e.g. westeurope."
  type        = string
}

variable "resource_group_name" {
  description = "The resource group created for pushpool's own resources (not the pools' container groups)."
  type        = string
  default     = "pushpool"
}

variable "name_prefix" {
  description = "Prefix of globally unique names (storage account, Key Vault, Function App): 3 to 11 lowercase letters or digits."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,10}$", var.name_prefix))
    error_message = "name_prefix: 3 to 11 lowercase letters or digits, starting with a letter (storage account and Key Vault name limits)."
  }
}

variable "package_dir" {
  description = "The Function App package built by `npm run package:azure` (host.json and the bundled functions), zipped and run from a private blob."
  type        = string
  default     = "../../.build/azure"
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
  description = "The Prefect API as the container groups reach it, when it differs (empty = prefect_api_url). PUSHPOOL_CONTAINER_API_URL."
  type        = string
  default     = ""
}

variable "pools" {
  description = "The azure-container-instance work pools served. PUSHPOOL_POOLS."
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

variable "pool_resource_group_ids" {
  description = "Resource group ids (/subscriptions/…/resourceGroups/…) the pools' resource_group_name points at: the only places container groups and deployments may be created, read, stopped and deleted."
  type        = list(string)

  validation {
    condition     = length(var.pool_resource_group_ids) > 0 && alltrue([for id in var.pool_resource_group_ids : can(regex("^/subscriptions/[^/]+/resourceGroups/[^/]+$", id))])
    error_message = "pool_resource_group_ids: at least one resource group id, /subscriptions/<id>/resourceGroups/<name> (never a whole subscription)."
  }
}

variable "pool_identity_ids" {
  description = "Resource ids of the user-assigned identities the pools' `identities` (and image_registry identity) name: the only identities pushpool may assign to container groups."
  type        = list(string)
  default     = []
}

variable "pool_subnet_ids" {
  description = "Subnet ids the pools' `subnet_ids` name: the only subnets container groups may join."
  type        = list(string)
  default     = []
}

variable "webhook_keys_is_json" {
  description = "true when the Key Vault secret `webhook-keys` holds a JSON array of keys (PUSHPOOL_WEBHOOK_KEYS), false for one secret (PUSHPOOL_WEBHOOK_SECRET)."
  type        = bool
  default     = false
}

variable "use_prefect_api_key" {
  description = "Read PREFECT_API_KEY from the Key Vault secret `prefect-api-key` (Prefect Cloud)."
  type        = bool
  default     = true
}

variable "use_prefect_auth_string" {
  description = "Read PREFECT_API_AUTH_STRING from the Key Vault secret `prefect-auth-string` (a self-hosted server with basic auth)."
  type        = bool
  default     = false
}

variable "crons" {
  description = "Timer-triggered crons, each creating a run of a deployment: name => {schedule (NCRONTAB, six fields with seconds), deployment, parameters}. PUSHPOOL_CRONS."
  type = map(object({
    schedule   = string
    deployment = string
    parameters = optional(map(any), {})
  }))
  default = {}
}

variable "max_dequeue_count" {
  description = "Deliveries of one dispatch message before the Functions host moves it to the poison queue (host.json queues.maxDequeueCount of the package must match)."
  type        = number
  default     = 5
}

variable "tick_seconds" {
  description = "The tick's cadence as reported to Prefect (its timer fires every minute). PUSHPOOL_TICK_SECONDS."
  type        = number
  default     = 60
}

variable "horizon_seconds" {
  description = "How far ahead the tick asks for scheduled runs (empty = 2 × tick). PUSHPOOL_HORIZON_SECONDS."
  type        = string
  default     = ""
}

variable "lead_seconds" {
  description = "Deliver a dispatch this long before the scheduled time (empty = 60 for azure-container-instance). PUSHPOOL_LEAD_SECONDS."
  type        = string
  default     = ""
}

variable "burst_rate" {
  description = "Dispatches per second the Prefect API sustains. PUSHPOOL_BURST_RATE."
  type        = number
  default     = 10
}

variable "start_timeout_seconds" {
  description = "A claim with no container group after this long is resubmitted; after twice as long, Crashed. PUSHPOOL_START_TIMEOUT_SECONDS."
  type        = number
  default     = 300
}

variable "cancel_grace_seconds" {
  description = "Time a Cancelling run is left to its in-container runner before its group is stopped or deleted. PUSHPOOL_CANCEL_GRACE_SECONDS."
  type        = number
  default     = 10
}
