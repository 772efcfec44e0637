# Dispatch messages travel on Cloud Tasks (Pub/Sub cannot delay a message: a dispatch due in 40 s is
# a task with that scheduleTime). After max_attempts deliveries the dispatch function publishes the
# message to the dead-letter topic instead of failing it once more, so nothing is retried forever.
resource "google_cloud_tasks_queue" "dispatch" {
  name     = "${var.name_prefix}-dispatch"
  location = var.region

  rate_limits {
    max_dispatches_per_second = 50
    max_concurrent_dispatches = 20
  }

  retry_config {
    max_attempts       = var.tasks_max_attempts
    min_backoff        = "2s"
    max_backoff        = "300s"
    max_doublings      = 5
    max_retry_duration = "0s"
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  # Whatever a task says, it goes to the dispatch function over HTTPS with an OIDC token of the
  # tasks account (the functions also set both on each task: PUSHPOOL_DISPATCH_URL and
  # PUSHPOOL_TASKS_SERVICE_ACCOUNT).
  http_target {
    http_method = "POST"

    uri_override {
      scheme                    = "HTTPS"
      host                      = "${var.region}-${var.project}.cloudfunctions.net"
      uri_override_enforce_mode = "ALWAYS"

      path_override {
        path = "/${var.name_prefix}-dispatch"
      }
    }

    oidc_token {
      service_account_email = google_service_account.tasks_invoker.email
      audience              = local.dispatch_url
    }
  }
}

# Where a dispatch message goes after its last attempt (PUSHPOOL_DEAD_LETTER_TOPIC). A topic keeps
# nothing by itself: the subscription below retains dead letters for inspection for 7 days.
resource "google_pubsub_topic" "dispatch_dead_letter" {
  name         = "${var.name_prefix}-dispatch-dead-letter"
  kms_key_name = var.kms_key_name == "" ? null : var.kms_key_name
}

resource "google_pubsub_subscription" "dispatch_dead_letter" {
  name                       = "${var.name_prefix}-dispatch-dead-letter"
  topic                      = google_pubsub_topic.dispatch_dead_letter.id
  message_retention_duration = "604800s"
  retain_acked_messages      = true
  ack_deadline_seconds       = 60
  expiration_policy {
    ttl = ""
  }
}

# Cloud Run job / Vertex AI custom job state changes, routed from Cloud Logging to the events
# function by a push subscription with its own dead-letter topic.
resource "google_pubsub_topic" "infrastructure_events" {
  name         = "${var.name_prefix}-infrastructure-events"
  kms_key_name = var.kms_key_name == "" ? null : var.kms_key_name
}

resource "google_pubsub_topic" "infrastructure_events_dead_letter" {
  name         = "${var.name_prefix}-infrastructure-events-dead-letter"
  kms_key_name = var.kms_key_name == "" ? null : var.kms_key_name
}

resource "google_pubsub_subscription" "infrastructure_events_dead_letter" {
  name                       = "${var.name_prefix}-infrastructure-events-dead-letter"
  topic                      = google_pubsub_topic.infrastructure_events_dead_letter.id
  message_retention_duration = "604800s"
  retain_acked_messages      = true
  ack_deadline_seconds       = 60
  expiration_policy {
    ttl = ""
  }
}

resource "google_logging_project_sink" "infrastructure_events" {
  name                   = "${var.name_prefix}-infrastructure-events"
  destination            = "pubsub.googleapis.com/${google_pubsub_topic.infrastructure_events.id}"
  filter                 = var.infrastructure_events_filter
  unique_writer_identity = true
}

resource "google_pubsub_subscription" "infrastructure_events" {
  name                 = "${var.name_prefix}-infrastructure-events"
  topic                = google_pubsub_topic.infrastructure_events.id
  ack_deadline_seconds = 60

  push_config {
    # The topic in the path: the functions framework names the CloudEvent's source from it when it
    # turns a raw Pub/Sub push into a CloudEvent for the `events` function.
    push_endpoint = "${google_cloudfunctions2_function.fn["events"].service_config[0].uri}/${google_pubsub_topic.infrastructure_events.id}"
    oidc_token {
      service_account_email = google_service_account.pubsub_invoker.email
      audience              = google_cloudfunctions2_function.fn["events"].service_config[0].uri
    }
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.infrastructure_events_dead_letter.id
    max_delivery_attempts = 10
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}
