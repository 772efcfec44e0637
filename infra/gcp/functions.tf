# The five Cloud Functions (2nd gen), built from the one package of `npm run package:gcp`.
# Every function is HTTPS only (2nd gen functions have no plain-HTTP endpoint). Only the webhook is
# public; the others take internal traffic only (Cloud Tasks, Cloud Scheduler and Pub/Sub push of
# the same project count as internal) and only OIDC tokens of the invoker accounts in iam.tf.
locals {
  functions = {
    dispatch = {
      description = "pushpool - claim and submit flow runs delivered by Cloud Tasks"
      env         = merge(local.common_env, local.queue_env, local.dispatch_env)
      secret_env  = local.common_secret_env
      timeout     = 60
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
    tick = {
      description = "pushpool - heartbeat, enqueue scheduled runs, reconcile (Cloud Scheduler, every minute)"
      env         = merge(local.common_env, local.queue_env, local.tick_env)
      secret_env  = local.common_secret_env
      timeout     = 55
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
    webhook = {
      description = "pushpool - signed trigger webhook (HMAC verified by the function)"
      env         = merge(local.common_env, local.queue_env)
      secret_env  = merge(local.common_secret_env, local.webhook_secret_env)
      timeout     = 20
      ingress     = "ALLOW_ALL"
    }
    cron = {
      description = "pushpool - create a run of a deployment per Cloud Scheduler cron job"
      env         = merge(local.common_env, local.queue_env)
      secret_env  = local.common_secret_env
      timeout     = 30
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
    events = {
      description = "pushpool - Cloud Run / Vertex AI job state changes to Prefect"
      env         = local.common_env
      secret_env  = local.common_secret_env
      timeout     = 30
      ingress     = "ALLOW_INTERNAL_ONLY"
    }
  }
}

# One source for all five: `npm run package:gcp` writes .build/gcp (package.json whose main exports
# the entry points dispatch, tick, webhook, cron and events); each function picks its entry point.
data "archive_file" "source" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${path.module}/.terraform/pushpool-gcp.zip"
}

resource "google_storage_bucket_object" "source" {
  # A new object name per content: a changed bundle redeploys the functions.
  name   = "pushpool-gcp-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "fn" {
  #checkov:skip=CKV_GCP_124:Ingress is per function (each.value.ingress), which checkov cannot resolve: ALLOW_INTERNAL_ONLY for all but the webhook, public by design (HMAC-verified); test/unit/iac/wiring.test.ts asserts exactly that.
  for_each    = local.functions
  name        = "${var.name_prefix}-${each.key}"
  location    = var.region
  description = each.value.description

  build_config {
    runtime     = "nodejs22"
    entry_point = each.key
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = "256M"
    timeout_seconds                  = each.value.timeout
    max_instance_count               = each.key == "dispatch" ? 20 : 5
    max_instance_request_concurrency = 1
    ingress_settings                 = each.value.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.fn[each.key].email
    environment_variables            = each.value.env

    dynamic "secret_environment_variables" {
      for_each = { for name, secret in each.value.secret_env : name => secret if secret != "" }
      content {
        key        = secret_environment_variables.key
        project_id = var.project
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.accessor]
}
