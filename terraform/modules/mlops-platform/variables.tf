variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (lowercase letters, digits, dashes)."
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "admin_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach SSH and the Airflow UI/API (your office or VPN); never the whole internet."

  validation {
    condition     = length(var.admin_cidrs) > 0 && alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])
    error_message = "admin_cidrs must list at least one valid CIDR, e.g. [\"203.0.113.0/24\"]."
  }

  # Not /0, and not the internet cut in halves (0.0.0.0/1 + 128.0.0.0/1): nothing wider than a /8.
  validation {
    condition     = alltrue([for c in var.admin_cidrs : try(tonumber(split("/", c)[1]) >= (strcontains(c, ":") ? 32 : 8), false)])
    error_message = "admin_cidrs must list networks of /8 or narrower (IPv6: /32): SSH and the Airflow UI are for admins only, never the whole internet."
  }
}

variable "admin_user" {
  type        = string
  description = "Admin user cloud-init creates on every VM, with sudo and the SSH key (Ansible connects as it)."
  default     = "mlops"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.admin_user)) && var.admin_user != "root"
    error_message = "admin_user must be a valid Linux user name other than root."
  }
}

variable "ssh_public_key" {
  type        = string
  description = "Public SSH key of the admin user (one line, as in ~/.ssh/id_ed25519.pub)."

  validation {
    # Anchored at both ends and one line: the key goes into cloud-init, where a line break would add directives.
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._+-]{1,100})?$", var.ssh_public_key)) && !strcontains(var.ssh_public_key, "\n")
    error_message = "ssh_public_key must be an OpenSSH public key line (ssh-ed25519 AAAA..., ssh-rsa AAAA...)."
  }
}

variable "image_name" {
  type        = string
  description = "Boot image name, the newest of that name is used: Debian 13 (PostgreSQL 17; what the platform is tested on), Debian 12 also works, Ubuntu 24.04 is not tested here. On GPU flavors the image must bring the NVIDIA driver and CUDA toolkit, or pg_strom stays off (the role says why)."
}

variable "db_flavor_name" {
  type        = string
  description = "Flavor of db01; it must be a GPU flavor (checked against the flavor's extra specs at plan time)."

  validation {
    condition     = !can(regex("^(cpu|std|standard|general|m1)\\.", lower(var.db_flavor_name)))
    error_message = "db_flavor_name names a CPU flavor; db01 runs pg_strom and needs a GPU flavor (e.g. rtx4090-1.8.16.40)."
  }
}

variable "gpu_extra_spec_keys" {
  type        = list(string)
  description = "Flavor extra-spec keys that mark a GPU flavor (PCI passthrough or vGPU); db01's flavor must carry one."
  default     = ["pci_passthrough:alias", "resources:PGPU", "resources:VGPU"]
}

variable "airflow_flavor_name" {
  type        = string
  description = "Flavor of air01 (CPU is enough: LocalExecutor, 4+ vCPU and 8+ GB RAM recommended)."
}

variable "db_volume_size" {
  type        = number
  description = "Boot volume of db01 in GB (holds PostgreSQL's data directory)."
  default     = 100

  validation {
    condition     = var.db_volume_size >= 30
    error_message = "db_volume_size must be at least 30 GB (OS, CUDA, PostgreSQL and data)."
  }
}

variable "airflow_volume_size" {
  type        = number
  description = "Boot volume of air01 in GB."
  default     = 40

  validation {
    condition     = var.airflow_volume_size >= 20
    error_message = "airflow_volume_size must be at least 20 GB."
  }
}

variable "backup_host" {
  type        = bool
  description = "Make bak01, pgBackRest's repository host (group backup): without it PostgreSQL is not backed up."
  default     = true
}

variable "backup_flavor_name" {
  type        = string
  description = "CPU flavor of bak01 (pgBackRest compresses on it: 2 vCPU and 4 GB RAM are enough)."
}

variable "backup_volume_size" {
  type        = number
  description = "Data volume of bak01 in GB, mounted at /var/lib/pgbackrest: the full backups kept, their differentials and the WAL between them."
  default     = 200

  validation {
    condition     = var.backup_volume_size > 0 && floor(var.backup_volume_size) == var.backup_volume_size
    error_message = "backup_volume_size must be a whole number of GB above 0 (the repository of pgBackRest lives on that volume)."
  }
}

variable "volume_type" {
  type        = string
  description = "Block storage type of the boot volumes (e.g. fast.ru-7a on Selectel); null for the cloud's default."
  default     = null
}

variable "availability_zone" {
  type        = string
  description = "Availability zone of the VMs and volumes; null for the cloud's default."
  default     = null
}

variable "private_cidr" {
  type        = string
  description = "CIDR of the private network between the hosts (db01 gets .10, air01 .11, bak01 .12, workers .20 up)."
  default     = "10.213.7.0/24"

  validation {
    condition     = can(cidrhost(var.private_cidr, 12)) && tonumber(split("/", var.private_cidr)[1]) <= 28
    error_message = "private_cidr must be a valid IPv4 CIDR of /28 or larger, e.g. 10.213.7.0/24."
  }
}

variable "dns_nameservers" {
  type        = list(string)
  description = "DNS servers handed out on the private subnet."
  default     = ["1.1.1.1", "8.8.8.8"]
}

variable "external_network_name" {
  type        = string
  description = "External network for the router and floating IPs (Selectel: external-network); empty for none."
  default     = ""
}

variable "public_network_name" {
  type        = string
  description = "Provider network VMs also attach to for a public address (Immers.cloud: immers); empty for none."
  default     = ""
}

variable "airflow_port" {
  type        = number
  description = "HTTPS port of the Airflow UI/API on air01 (nginx in front of Airflow; group_vars airflow_https_port)."
  default     = 443

  validation {
    condition     = var.airflow_port > 0 && var.airflow_port < 65536
    error_message = "airflow_port must be a TCP port (1-65535)."
  }
}

variable "worker_count" {
  type        = number
  description = "Airflow Celery worker VMs wrk01..wrkNN (group airflow_workers, private network only, .20 up); 0 for none (LocalExecutor on air01)."
  default     = 0

  validation {
    condition     = var.worker_count >= 0 && var.worker_count <= 20 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number from 0 to 20 (0: no worker VMs)."
  }

  # The last worker's address (.20 + count - 1) must lie inside private_cidr, below its broadcast address.
  validation {
    condition     = var.worker_count == 0 || can(cidrhost(var.private_cidr, 20 + var.worker_count))
    error_message = "private_cidr has no room for worker_count workers (they take .20 up): use a larger private_cidr (a /24 holds 20) or fewer workers."
  }
}

variable "worker_flavor_name" {
  type        = string
  description = "Flavor of the workers: a CPU flavor, or a GPU flavor with worker_gpu = true; needed when worker_count > 0."
  default     = ""

  validation {
    condition     = var.worker_count == 0 || trimspace(var.worker_flavor_name) != ""
    error_message = "worker_flavor_name is empty: workers need a flavor (a CPU one such as cpu.8.16.80, or a GPU one with worker_gpu = true)."
  }
}

variable "worker_gpu" {
  type        = bool
  description = "The workers' flavor has a GPU (checked against its extra specs at plan time, like db01's)."
  default     = false

  validation {
    condition     = !var.worker_gpu || !can(regex("^(cpu|std|standard|general|m1)\\.", lower(var.worker_flavor_name)))
    error_message = "worker_gpu = true with a CPU flavor name: give worker_flavor_name a GPU flavor (e.g. rtx4090-1.8.16.40) or set worker_gpu = false."
  }
}

variable "worker_volume_size" {
  type        = number
  description = "Boot volume of each worker in GB (Airflow, the DAG releases and their Python packages)."
  default     = 50

  validation {
    condition     = var.worker_volume_size >= 20 && floor(var.worker_volume_size) == var.worker_volume_size
    error_message = "worker_volume_size must be a whole number of GB, at least 20."
  }
}
