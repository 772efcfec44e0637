# Cloud Scheduler: the tick every minute, and one job per entry of var.crons. Every target is an
# HTTPS function URL called with an OIDC token of the scheduler's own service account.
resource "google_cloud_scheduler_job" "tick" {
  name             = "${var.name_prefix}-tick"
  region           = var.region
  description      = "pushpool tick: heartbeat, enqueue due runs, reconcile"
  schedule         = "* * * * *"
  time_zone        = "Etc/UTC"
  attempt_deadline = "60s"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.fn["tick"].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler_invoker.email
      audience              = google_cloudfunctions2_function.fn["tick"].service_config[0].uri
    }
  }
}

# Each firing POSTs {name, deployment, parameters}; Cloud Scheduler adds the
# X-CloudScheduler-ScheduleTime header, the same on every retry of one firing: the cron function's
# idempotency key, so a retried firing creates no second run.
resource "google_cloud_scheduler_job" "cron" {
  for_each         = var.crons
  name             = "${var.name_prefix}-cron-${each.key}"
  region           = var.region
  description      = each.value.description == "" ? "pushpool cron ${each.key}: a run of ${each.value.deployment}" : each.value.description
  schedule         = each.value.schedule
  time_zone        = each.value.time_zone
  paused           = each.value.paused
  attempt_deadline = "60s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "10s"
    max_backoff_duration = "60s"
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.fn["cron"].service_config[0].uri
    headers     = { "Content-Type" = "application/json" }
    body = base64encode(jsonencode({
      name       = each.key
      deployment = each.value.deployment
      parameters = each.value.parameters
    }))

    oidc_token {
      service_account_email = google_service_account.scheduler_invoker.email
      audience              = google_cloudfunctions2_function.fn["cron"].service_config[0].uri
    }
  }
}
