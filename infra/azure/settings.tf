# The Function App's settings, name for name as functions/azure/env.ts lists them
# (test/unit/iac/wiring.test.ts asserts the app gets every name its functions read). Secrets are
# Key Vault references resolved by the platform with the app's identity; their values are set with
# `az keyvault secret set` and never pass through Terraform or its state. A secret switched off
# (an empty name below) leaves its setting out.
locals {
  plain_settings = {
    PREFECT_API_URL                      = var.prefect_api_url
    PUSHPOOL_POOLS                       = join(",", var.pools)
    PUSHPOOL_WORK_QUEUES                 = join(",", var.work_queues)
    PUSHPOOL_WORKER_NAME                 = var.worker_name
    PUSHPOOL_CONTAINER_API_URL           = var.container_api_url == "" ? var.prefect_api_url : var.container_api_url
    PUSHPOOL_TICK_SECONDS                = tostring(var.tick_seconds)
    PUSHPOOL_START_TIMEOUT_SECONDS       = tostring(var.start_timeout_seconds)
    PUSHPOOL_CANCEL_GRACE_SECONDS        = tostring(var.cancel_grace_seconds)
    AzureWebJobsStorage__queueServiceUri = azurerm_storage_account.this.primary_queue_endpoint
    AzureWebJobsStorage__blobServiceUri  = azurerm_storage_account.this.primary_blob_endpoint
    AzureWebJobsStorage__credential      = "managedidentity"
    AzureWebJobsStorage__clientId        = azurerm_user_assigned_identity.app.client_id
    AZURE_CLIENT_ID                      = azurerm_user_assigned_identity.app.client_id
    PUSHPOOL_AZURE_SUBSCRIPTION_ID       = var.subscription_id
    PUSHPOOL_QUEUE_NAME                  = azurerm_storage_queue.dispatch.name
    PUSHPOOL_HORIZON_SECONDS             = var.horizon_seconds
    PUSHPOOL_LEAD_SECONDS                = var.lead_seconds
    PUSHPOOL_BURST_RATE                  = tostring(var.burst_rate)
    PUSHPOOL_CRONS = jsonencode([
      for name, cron in var.crons : { name = name, schedule = cron.schedule, deployment = cron.deployment, parameters = cron.parameters }
    ])
    # The package, run from its private blob, fetched with the app's identity (no SAS, no keys).
    WEBSITE_RUN_FROM_PACKAGE                                   = azurerm_storage_blob.package.url
    WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID               = azurerm_user_assigned_identity.app.id
    AzureFunctionsJobHost__extensions__queues__maxDequeueCount = tostring(var.max_dequeue_count)
  }

  # Setting => Key Vault secret name ("" = not set).
  secret_settings = {
    PREFECT_API_KEY         = var.use_prefect_api_key ? "prefect-api-key" : ""
    PREFECT_API_AUTH_STRING = var.use_prefect_auth_string ? "prefect-auth-string" : ""
    PUSHPOOL_WEBHOOK_KEYS   = var.webhook_keys_is_json ? "webhook-keys" : ""
    PUSHPOOL_WEBHOOK_SECRET = var.webhook_keys_is_json ? "" : "webhook-keys"
  }

  app_settings = merge(local.plain_settings, {
    for name, secret in local.secret_settings :
    name => "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault.this.vault_uri}secrets/${secret}/)" if secret != ""
  })
}
