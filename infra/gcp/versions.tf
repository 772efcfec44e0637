# pushpool on Google Cloud: provider pins. `terraform init/validate/plan` need the provider
# registry; the test suite checks these files offline (fmt, checkov, the wiring test).
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "6.14.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.7.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}
