# Least privilege for the app's user-assigned identity. No Owner or Contributor anywhere; nothing at
# subscription scope. Container groups and deployments only in the pools' resource groups, identity
# assignment only on the identities the pools name, subnet joins only on the pools' subnets.
locals {
  subscription_scope = "/subscriptions/${var.subscription_id}"
}

# What the dispatch, tick and poison functions do in a pool's resource group: an incremental ARM
# deployment of the rendered template (as Prefect's worker), then read, stop, delete the container
# group and read its logs.
resource "azurerm_role_definition" "aci" {
  name              = "${var.name_prefix} pushpool container groups"
  scope             = local.subscription_scope
  description       = "pushpool: deploy, watch, stop and delete flow-run container groups (assignable only in the pools' resource groups)."
  assignable_scopes = var.pool_resource_group_ids

  permissions {
    actions = [
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      "Microsoft.Resources/deployments/read",
      "Microsoft.Resources/deployments/write",
      "Microsoft.Resources/deployments/validate/action",
      "Microsoft.Resources/deployments/operations/read",
      "Microsoft.Resources/deployments/operationstatuses/read",
      "Microsoft.ContainerInstance/containerGroups/read",
      "Microsoft.ContainerInstance/containerGroups/write",
      "Microsoft.ContainerInstance/containerGroups/delete",
      "Microsoft.ContainerInstance/containerGroups/stop/action",
      "Microsoft.ContainerInstance/containerGroups/containers/logs/read",
      "Microsoft.ContainerInstance/locations/operations/read",
    ]
    not_actions = []
  }
}

resource "azurerm_role_assignment" "aci" {
  for_each           = toset(var.pool_resource_group_ids)
  scope              = each.value
  role_definition_id = azurerm_role_definition.aci.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_definition" "assign_identity" {
  name              = "${var.name_prefix} pushpool assign identity"
  scope             = local.subscription_scope
  description       = "pushpool: give a container group one of the pools' user-assigned identities (assigned per identity)."
  assignable_scopes = [local.subscription_scope]

  permissions {
    actions     = ["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"]
    not_actions = []
  }
}

resource "azurerm_role_assignment" "assign_identity" {
  for_each           = toset(var.pool_identity_ids)
  scope              = each.value
  role_definition_id = azurerm_role_definition.assign_identity.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

resource "azurerm_role_definition" "join_subnet" {
  name              = "${var.name_prefix} pushpool join subnet"
  scope             = local.subscription_scope
  description       = "pushpool: place a container group in one of the pools' subnets (assigned per subnet)."
  assignable_scopes = [local.subscription_scope]

  permissions {
    actions     = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    not_actions = []
  }
}

resource "azurerm_role_assignment" "join_subnet" {
  for_each           = toset(var.pool_subnet_ids)
  scope              = each.value
  role_definition_id = azurerm_role_definition.join_subnet.role_definition_resource_id
  principal_id       = azurerm_user_assigned_identity.app.principal_id
  principal_type     = "ServicePrincipal"
}

# The app's own data: the dispatch and poison queues, the host's blobs (timer locks, the package),
# the Key Vault secrets. Built-in data roles, each on its one resource.
locals {
  own_roles = {
    queues  = { scope = azurerm_storage_account.this.id, role = "Storage Queue Data Contributor" }
    blobs   = { scope = azurerm_storage_account.this.id, role = "Storage Blob Data Owner" }
    secrets = { scope = azurerm_key_vault.this.id, role = "Key Vault Secrets User" }
  }
}

resource "azurerm_role_assignment" "own" {
  for_each             = local.own_roles
  scope                = each.value.scope
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# Whoever runs `terraform apply` may then set the secrets' values (`az keyvault secret set`).
resource "azurerm_role_assignment" "deployer_secrets" {
  scope                = azurerm_key_vault.this.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}
