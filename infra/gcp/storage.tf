# The private bucket holding the functions' source zips.
resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Access logging of a bucket that only Cloud Build reads, holding nothing but the public-source bundles; Cloud Audit Logs record admin access already.
  name                        = "${var.project}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  versioning {
    enabled = true
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == "" ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 3
    }
    action {
      type = "Delete"
    }
  }
}
