variable "auth_url" {
  type        = string
  description = "Keystone URL of Selectel's cloud platform."
  default     = "https://cloud.api.selcloud.ru/identity/v3"
}

variable "region" {
  type        = string
  description = "Selectel pool (region), e.g. ru-7; GPU flavors exist in some pools only."

  validation {
    condition     = can(regex("^[a-z]{2}-[0-9]+$", var.region))
    error_message = "region must be a Selectel pool such as ru-7."
  }
}

variable "project_id" {
  type        = string
  description = "ID of the Selectel cloud project the VMs live in."

  validation {
    condition     = can(regex("^[0-9a-f]{32}$", var.project_id))
    error_message = "project_id must be the 32-character hex project ID from the control panel."
  }
}

variable "account_id" {
  type        = string
  description = "Selectel account number (the OpenStack user domain)."
}

variable "username" {
  type        = string
  description = "Service user with the member role in the project (its password comes from OS_PASSWORD)."
}

variable "volume_type" {
  type        = string
  description = "Disk type of the boot volumes in the zone, e.g. fast.ru-7a."
  default     = null
}
