# Variables every cloud root passes to the module; linked into each root (Terraform has no include).
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
  description = "Boot image name, the newest of that name is used: Debian 13 (PostgreSQL 17; what the platform is tested on), Debian 12 also works, Ubuntu 24.04 is not tested here. On GPU flavors the image must bring the NVIDIA driver and CUDA toolkit, or pg_strom stays off (the role says why)."
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

