output "webhook_url" {
  description = "The webhook's HTTPS URL: PUSHPOOL_WEBHOOK_URL for `pushpool trigger` (which appends /trigger)."
  value       = google_cloudfunctions2_function.fn["webhook"].service_config[0].uri
}

output "function_urls" {
  description = "Every function's HTTPS URL (only the webhook accepts unauthenticated requests)."
  value       = { for name, fn in google_cloudfunctions2_function.fn : name => fn.service_config[0].uri }
}

output "tasks_queue" {
  description = "The Cloud Tasks dispatch queue (projects/<p>/locations/<r>/queues/<q>)."
  value       = google_cloud_tasks_queue.dispatch.id
}

output "dead_letter_topics" {
  description = "Dead-letter topics, with a subscription each that keeps dead letters 7 days."
  value = {
    dispatch              = google_pubsub_topic.dispatch_dead_letter.id
    infrastructure_events = google_pubsub_topic.infrastructure_events_dead_letter.id
  }
}

output "function_service_accounts" {
  description = "Each function's service account: grant these access to anything else the flows' setup needs."
  value       = { for name, sa in google_service_account.fn : name => sa.email }
}
