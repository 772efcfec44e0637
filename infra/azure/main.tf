# pushpool on Azure: one Linux Function App (Node 22) holding dispatch, tick, webhook, cron and
# poison, its storage account with the dispatch queue and the poison queue, a Key Vault for the
# secrets, and a user-assigned identity that is all the app's access (iam.tf).
data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  name     = var.resource_group_name
  location = var.location
}

resource "azurerm_user_assigned_identity" "app" {
  name                = "${var.name_prefix}-pushpool"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
}

resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV_AZURE_206:Locally redundant on purpose: the queue holds only transient dispatch messages; after a regional loss the tick enqueues every due run again from Prefect.
  #checkov:skip=CKV_AZURE_59:A Consumption-plan Function App has no virtual network, so it reaches its storage over the public endpoint; shared keys are disabled and every access is Entra ID (RBAC) over TLS 1.2.
  #checkov:skip=CKV2_AZURE_33:A private endpoint needs a virtual network the Consumption plan cannot join (see CKV_AZURE_59).
  #checkov:skip=CKV2_AZURE_1:Microsoft-managed keys: the account holds dispatch messages (flow-run ids) and the functions' package, no customer data; add a customer-managed key if policy asks for one.
  name                            = "${var.name_prefix}pushpool"
  resource_group_name             = azurerm_resource_group.this.name
  location                        = azurerm_resource_group.this.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  account_kind                    = "StorageV2"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  default_to_oauth_authentication = true
  local_user_enabled              = false
  public_network_access_enabled   = true

  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  queue_properties {
    logging {
      delete                = true
      read                  = true
      write                 = true
      version               = "1.0"
      retention_policy_days = 10
    }
  }

  sas_policy {
    expiration_period = "00.01:00:00"
  }
}

# PUSHPOOL_QUEUE_NAME; the Functions host moves a message to "<queue>-poison" after
# max_dequeue_count deliveries, and the poison function reports each one (never retried).
resource "azurerm_storage_queue" "dispatch" {
  name                 = "pushpool-dispatch"
  storage_account_name = azurerm_storage_account.this.name
}

resource "azurerm_storage_queue" "dispatch_poison" {
  name                 = "${azurerm_storage_queue.dispatch.name}-poison"
  storage_account_name = azurerm_storage_account.this.name
}

resource "azurerm_storage_container" "package" {
  #checkov:skip=CKV2_AZURE_21:Blob read logging for the container holding only the Function App package; the account's diagnostic settings can add it.
  name                  = "function-package"
  storage_account_name  = azurerm_storage_account.this.name
  container_access_type = "private"
}

data "archive_file" "package" {
  type        = "zip"
  source_dir  = var.package_dir
  output_path = "${path.module}/.terraform/pushpool-azure.zip"
}

resource "azurerm_storage_blob" "package" {
  # A new blob per content: a changed package restarts the app on the new code.
  name                   = "pushpool-${data.archive_file.package.output_md5}.zip"
  storage_account_name   = azurerm_storage_account.this.name
  storage_container_name = azurerm_storage_container.package.name
  type                   = "Block"
  source                 = data.archive_file.package.output_path
}

resource "azurerm_key_vault" "this" {
  #checkov:skip=CKV_AZURE_109:The Consumption plan resolves Key Vault references from outside any virtual network, so the vault cannot default-deny public traffic; access is RBAC only (Key Vault Secrets User for the app's identity).
  #checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109: the public endpoint is needed by Key Vault references on the Consumption plan.
  #checkov:skip=CKV2_AZURE_32:A private endpoint needs a virtual network the Consumption plan cannot join.
  name                       = "${var.name_prefix}-pushpool-kv"
  resource_group_name        = azurerm_resource_group.this.name
  location                   = azurerm_resource_group.this.location
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  enable_rbac_authorization  = true
  purge_protection_enabled   = true
  soft_delete_retention_days = 7

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }
}

resource "azurerm_service_plan" "this" {
  #checkov:skip=CKV_AZURE_212:Consumption (Y1) scales to zero by design: pushpool's point is no always-on instance.
  #checkov:skip=CKV_AZURE_225:Zone redundancy is not offered on the Consumption (Y1) plan.
  name                = "${var.name_prefix}-pushpool"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  os_type             = "Linux"
  sku_name            = "Y1"
}

resource "azurerm_linux_function_app" "this" {
  #checkov:skip=CKV_AZURE_221:The webhook function must be reachable by CI; it verifies every request's HMAC signature. The other functions have no HTTP trigger.
  # No App Service authentication: it would refuse the CI's signed requests; the webhook authenticates them itself (HMAC), and no other function is HTTP-triggered.
  name                = "${var.name_prefix}-pushpool"
  resource_group_name = azurerm_resource_group.this.name
  location            = azurerm_resource_group.this.location
  service_plan_id     = azurerm_service_plan.this.id

  storage_account_name          = azurerm_storage_account.this.name
  storage_uses_managed_identity = true

  https_only                                     = true
  public_network_access_enabled                  = true
  builtin_logging_enabled                        = false
  client_certificate_enabled                     = false
  ftp_publish_basic_authentication_enabled       = false
  webdeploy_publish_basic_authentication_enabled = false
  key_vault_reference_identity_id                = azurerm_user_assigned_identity.app.id

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  site_config {
    minimum_tls_version = "1.2"
    ftps_state          = "Disabled"
    http2_enabled       = true
    use_32_bit_worker   = false

    application_stack {
      node_version = "22"
    }
  }

  app_settings = local.app_settings
}
