output "webhook_url" {
  description = "The webhook's HTTPS URL: PUSHPOOL_WEBHOOK_URL for `pushpool trigger`."
  value       = "https://${azurerm_linux_function_app.this.default_hostname}/api/trigger"
}

output "function_app_name" {
  description = "The Function App holding dispatch, tick, webhook, cron and poison."
  value       = azurerm_linux_function_app.this.name
}

output "key_vault_name" {
  description = "Set the secrets here: az keyvault secret set --vault-name <this> --name prefect-api-key --value …"
  value       = azurerm_key_vault.this.name
}

output "queues" {
  description = "The dispatch queue and its poison queue."
  value = {
    dispatch = azurerm_storage_queue.dispatch.name
    poison   = azurerm_storage_queue.dispatch_poison.name
  }
}

output "identity" {
  description = "The app's user-assigned managed identity (AZURE_CLIENT_ID, and the principal its roles are granted to)."
  value = {
    id           = azurerm_user_assigned_identity.app.id
    client_id    = azurerm_user_assigned_identity.app.client_id
    principal_id = azurerm_user_assigned_identity.app.principal_id
  }
}
