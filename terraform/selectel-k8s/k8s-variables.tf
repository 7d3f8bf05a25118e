variable "cluster_type" {
  type        = string
  description = "Managed Kubernetes control plane: BASIC (one master) or HIGH_AVAILABILITY / HIGH_AVAILABILITY_MULTI_AZ."
  default     = "HIGH_AVAILABILITY"

  validation {
    condition     = contains(["BASIC", "HIGH_AVAILABILITY", "HIGH_AVAILABILITY_MULTI_AZ"], var.cluster_type)
    error_message = "cluster_type must be BASIC, HIGH_AVAILABILITY or HIGH_AVAILABILITY_MULTI_AZ."
  }
}

variable "kube_version" {
  type        = string
  description = "Kubernetes version of the cluster; null takes the pool's default from selectel_mks_kube_versions_v1."
  default     = null
}

variable "k8s_nodes_cidr" {
  type        = string
  description = "Subnet of the Kubernetes nodes on db01's private network; the only source allowed to reach 5432 from the cluster."
  default     = "10.213.8.0/24"

  validation {
    condition     = can(cidrhost(var.k8s_nodes_cidr, 0)) && tonumber(split("/", var.k8s_nodes_cidr)[1]) >= 16
    error_message = "k8s_nodes_cidr must be a private IPv4 subnet of /16 or smaller, e.g. 10.213.8.0/24."
  }
}

variable "k8s_availability_zone" {
  type        = string
  description = "Pool segment of the node groups, e.g. ru-7a (node groups need one even where the VMs use the default)."

  validation {
    condition     = can(regex("^[a-z]{2}-[0-9]+[a-z]$", var.k8s_availability_zone))
    error_message = "k8s_availability_zone must be a Selectel pool segment such as ru-7a."
  }
}

variable "k8s_volume_type" {
  type        = string
  description = "Disk type of the node boot volumes, <type>.<segment>, e.g. fast.ru-7a."
  default     = "fast.ru-7a"
}

variable "cpu_nodes_count" {
  type        = number
  description = "Number of CPU nodes (Airflow's API server, scheduler, DAG processor, triggerer and CPU tasks)."
  default     = 2

  validation {
    condition     = var.cpu_nodes_count >= 1
    error_message = "cpu_nodes_count must be at least 1."
  }
}

variable "cpu_node_cpus" {
  type        = number
  description = "vCPUs of each CPU node."
  default     = 4
}

variable "cpu_node_ram_mb" {
  type        = number
  description = "RAM of each CPU node in MB (8192+ recommended for Airflow's components)."
  default     = 8192
}

variable "node_volume_gb" {
  type        = number
  description = "Boot volume of each node in GB (holds the Airflow image layers)."
  default     = 50
}

variable "gpu_nodes_count" {
  type        = number
  description = "Number of GPU nodes for ML tasks; 0 creates no GPU node group."
  default     = 0

  validation {
    condition     = var.gpu_nodes_count >= 0
    error_message = "gpu_nodes_count cannot be negative."
  }
}

variable "gpu_flavor_id" {
  type        = string
  description = "ID of the GPU flavor of the GPU nodes (GPU flavor IDs differ by pool segment); needed when gpu_nodes_count > 0."
  default     = ""
}

variable "airflow_hostname" {
  type        = string
  description = "Public hostname of Airflow's UI/API on the Gateway (TLS); point its DNS record at the Gateway's address."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.airflow_hostname))
    error_message = "airflow_hostname must be a DNS name such as airflow.example.com."
  }
}

variable "tls_certificate_pem" {
  type        = string
  description = "PEM certificate chain for airflow_hostname (pass as TF_VAR_tls_certificate_pem, never in a file in git)."
  sensitive   = true

  validation {
    condition     = startswith(trimspace(var.tls_certificate_pem), "-----BEGIN CERTIFICATE-----")
    error_message = "tls_certificate_pem must be a PEM certificate (-----BEGIN CERTIFICATE-----)."
  }
}

variable "tls_private_key_pem" {
  type        = string
  description = "PEM private key of the certificate (pass as TF_VAR_tls_private_key_pem)."
  sensitive   = true
}

variable "airflow_image_repository" {
  type        = string
  description = "Registry path of the Airflow image the pipeline builds (apache/airflow + dags/requirements.txt)."
}

variable "airflow_image_tag" {
  type        = string
  description = "Tag of that image; the pipeline tags it <airflow version>-<commit> (checked against group_vars/airflow.yml at plan time)."

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+-[0-9a-z]+$", var.airflow_image_tag))
    error_message = "airflow_image_tag must be <airflow version>-<commit>, e.g. 3.3.2-0123abcd, as the pipeline's build:image:k8s job prints it."
  }
}

variable "dags_git_url" {
  type        = string
  description = "HTTPS URL of this repository, which the DAG processor clones (GitDagBundle)."

  validation {
    condition     = startswith(var.dags_git_url, "https://")
    error_message = "dags_git_url must be an https:// URL."
  }
}

variable "dags_git_ref" {
  type        = string
  description = "Branch the GitDagBundle tracks; the pipeline moves it to each deployed commit."
  default     = "airflow/production"
}
