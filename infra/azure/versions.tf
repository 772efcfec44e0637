# pushpool on Azure: provider pins. `terraform init/validate/plan` need the provider registry; the
# test suite checks these files offline (fmt, checkov, the wiring test).
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "4.14.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.0"
    }
  }
}

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
  # Shared keys are disabled on the storage account: Terraform itself uses Entra ID for data-plane calls.
  storage_use_azuread = true
}
