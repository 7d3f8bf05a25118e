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

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name."
  default     = "mlops"
}

variable "admin_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach SSH and the Airflow UI/API; never 0.0.0.0/0."
}

variable "admin_user" {
  type        = string
  description = "Admin user cloud-init creates with the SSH key; Ansible connects as it."
  default     = "mlops"
}

variable "ssh_public_key" {
  type        = string
  description = "Public SSH key of the admin user."
}

variable "image_name" {
  type        = string
  description = "Boot image name (the newest image of that name is used)."
}

variable "db_flavor_name" {
  type        = string
  description = "GPU flavor of db01 (refused at plan time if the flavor has no GPU extra spec)."
}

variable "airflow_flavor_name" {
  type        = string
  description = "CPU flavor of air01."
}

variable "db_volume_size" {
  type        = number
  description = "Boot volume of db01 in GB."
  default     = 100
}

variable "airflow_volume_size" {
  type        = number
  description = "Boot volume of air01 in GB."
  default     = 40
}

variable "availability_zone" {
  type        = string
  description = "Availability zone of the VMs and volumes; null for the default."
  default     = null
}

variable "private_cidr" {
  type        = string
  description = "CIDR of the private network (db01 .10, air01 .11)."
  default     = "10.213.7.0/24"
}

