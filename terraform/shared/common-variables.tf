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

variable "backup_host" {
  type        = bool
  description = "Make bak01, pgBackRest's repository host on the private network only; false leaves PostgreSQL without backups."
  default     = true
}

variable "backup_flavor_name" {
  type        = string
  description = "CPU flavor of bak01 (2 vCPU and 4 GB RAM are enough)."
}

variable "backup_volume_size" {
  type        = number
  description = "Data volume of bak01 in GB (the pgBackRest repository: full and differential backups and WAL)."
  default     = 200
}

variable "availability_zone" {
  type        = string
  description = "Availability zone of the VMs and volumes; null for the default."
  default     = null
}

variable "private_cidr" {
  type        = string
  description = "CIDR of the private network (db01 .10, air01 .11, bak01 .12, workers .20 up)."
  default     = "10.213.7.0/24"
}


variable "worker_count" {
  type        = number
  description = "Airflow Celery worker VMs wrk01..wrkNN (group airflow_workers, private network only); 0 to 20, default 0 (none)."
  default     = 0
}

variable "worker_flavor_name" {
  type        = string
  description = "Flavor of the workers (CPU, or GPU with worker_gpu = true); needed when worker_count > 0."
  default     = ""
}

variable "worker_gpu" {
  type        = bool
  description = "The workers' flavor has a GPU (refused at plan time if the flavor has no GPU extra spec)."
  default     = false
}

variable "worker_volume_size" {
  type        = number
  description = "Boot volume of each worker in GB."
  default     = 50
}
