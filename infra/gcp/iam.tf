# Least privilege: one service account per function, three invoker accounts, no basic roles
# (roles/owner, roles/editor), project-wide grants only through the custom roles below and only to
# the functions that start, watch or cancel jobs.
data "google_project" "this" {}

locals {
  role_prefix  = replace(var.name_prefix, "-", "_")
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Which custom role each function holds on the project.
  project_roles = {
    "dispatch/jobs" = { fn = "dispatch", role = google_project_iam_custom_role.jobs.id }
    "tick/jobs"     = { fn = "tick", role = google_project_iam_custom_role.jobs.id }
    "events/read"   = { fn = "events", role = google_project_iam_custom_role.jobs_read.id }
  }
  # Functions that enqueue dispatch tasks (and attach the tasks account's OIDC identity to them).
  enqueuers = toset(["dispatch", "tick", "webhook", "cron"])
  # Functions that may attach the pools' job service accounts to the jobs they create.
  job_submitters = toset(["dispatch", "tick"])
  job_sa_grants = {
    for pair in setproduct(local.job_submitters, var.job_service_accounts) :
    "${pair[0]}/${pair[1]}" => { fn = pair[0], sa = pair[1] }
  }
  secret_grants = merge(
    {
      for pair in setproduct(keys(local.functions), compact([var.prefect_api_key_secret, var.prefect_auth_string_secret])) :
      "${pair[0]}/${pair[1]}" => { fn = pair[0], secret = pair[1] }
    },
    var.webhook_keys_secret == "" ? {} : { "webhook/${var.webhook_keys_secret}" = { fn = "webhook", secret = var.webhook_keys_secret } },
  )
}

resource "google_service_account" "fn" {
  for_each     = local.functions
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = "pushpool ${each.key} function"
}

resource "google_service_account" "tasks_invoker" {
  account_id   = "${var.name_prefix}-tasks"
  display_name = "pushpool Cloud Tasks → dispatch (OIDC)"
}

resource "google_service_account" "scheduler_invoker" {
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "pushpool Cloud Scheduler → tick, cron (OIDC)"
}

resource "google_service_account" "pubsub_invoker" {
  account_id   = "${var.name_prefix}-pubsub"
  display_name = "pushpool Pub/Sub push → events (OIDC)"
}

# Cloud Run jobs and Vertex AI custom jobs: what dispatch (create, run, look up) and tick (resubmit,
# reconcile, cancel, delete unless keep_job) call; nothing else of either service.
resource "google_project_iam_custom_role" "jobs" {
  role_id     = "${local.role_prefix}_jobs"
  title       = "pushpool: run and manage flow-run jobs"
  description = "Cloud Run jobs and executions, Vertex AI custom jobs: create, run, read, cancel, delete."
  permissions = [
    "run.jobs.create",
    "run.jobs.get",
    "run.jobs.list",
    "run.jobs.run",
    "run.jobs.runWithOverrides",
    "run.jobs.delete",
    "run.executions.get",
    "run.executions.list",
    "run.executions.cancel",
    "run.operations.get",
    "aiplatform.customJobs.create",
    "aiplatform.customJobs.get",
    "aiplatform.customJobs.list",
    "aiplatform.customJobs.cancel",
  ]
}

resource "google_project_iam_custom_role" "jobs_read" {
  role_id     = "${local.role_prefix}_jobs_read"
  title       = "pushpool: read flow-run jobs"
  description = "Read Cloud Run jobs and executions and Vertex AI custom jobs (state changes)."
  permissions = [
    "run.jobs.get",
    "run.executions.get",
    "aiplatform.customJobs.get",
  ]
}

# Only iam.serviceAccounts.actAs: enough to attach the tasks account's OIDC identity to a task.
resource "google_project_iam_custom_role" "act_as" {
  role_id     = "${local.role_prefix}_act_as"
  title       = "pushpool: attach a service account to a task"
  description = "iam.serviceAccounts.actAs only, granted on the Cloud Tasks invoker account alone."
  permissions = ["iam.serviceAccounts.actAs"]
}

resource "google_project_iam_member" "fn" {
  for_each = local.project_roles
  project  = var.project
  role     = each.value.role
  member   = "serviceAccount:${google_service_account.fn[each.value.fn].email}"
}

# The pools' job service accounts, and no other, may be attached to jobs (Service Account User, as
# Prefect's guide asks of its worker, but per account instead of project-wide).
resource "google_service_account_iam_member" "job_service_account_user" {
  for_each           = local.job_sa_grants
  service_account_id = "projects/${var.project}/serviceAccounts/${each.value.sa}"
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.fn[each.value.fn].email}"
}

resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = local.enqueuers
  name     = google_cloud_tasks_queue.dispatch.name
  location = var.region
  role     = "roles/cloudtasks.enqueuer"
  member   = "serviceAccount:${google_service_account.fn[each.key].email}"
}

resource "google_service_account_iam_member" "tasks_act_as" {
  for_each           = local.enqueuers
  service_account_id = google_service_account.tasks_invoker.name
  role               = google_project_iam_custom_role.act_as.id
  member             = "serviceAccount:${google_service_account.fn[each.key].email}"
}

resource "google_pubsub_topic_iam_member" "dispatch_dead_letter_publisher" {
  topic  = google_pubsub_topic.dispatch_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.fn["dispatch"].email}"
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each  = local.secret_grants
  project   = var.project
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.fn[each.value.fn].email}"
}

# Invocations: Cloud Tasks → dispatch, Cloud Scheduler → tick and cron, Pub/Sub push → events, each
# with its own account's OIDC token; the webhook is public (it verifies the HMAC signature itself).
locals {
  invokers = {
    dispatch = "serviceAccount:${google_service_account.tasks_invoker.email}"
    tick     = "serviceAccount:${google_service_account.scheduler_invoker.email}"
    cron     = "serviceAccount:${google_service_account.scheduler_invoker.email}"
    events   = "serviceAccount:${google_service_account.pubsub_invoker.email}"
  }
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.invokers
  project  = var.project
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = each.value
}

resource "google_cloud_run_v2_service_iam_member" "webhook_public" {
  # Public by design (like the AWS Function URL with AuthType NONE): every request is refused unless its HMAC signature over the body and timestamp matches a configured key.
  project  = var.project
  location = var.region
  name     = google_cloudfunctions2_function.fn["webhook"].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Pub/Sub's service agent: mint the push OIDC token, forward dead letters, ack the forwarded ones.
resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.pubsub_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "events_dead_letter_publisher" {
  topic  = google_pubsub_topic.infrastructure_events_dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "events_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.infrastructure_events.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "sink_publisher" {
  topic  = google_pubsub_topic.infrastructure_events.id
  role   = "roles/pubsub.publisher"
  member = google_logging_project_sink.infrastructure_events.writer_identity
}
