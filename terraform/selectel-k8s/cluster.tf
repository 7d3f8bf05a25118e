locals {
  # Names and pins in one place; mlopsctl (tools/src/mlopsctl/k8s.py) and the tests read the same values.
  airflow_namespace     = "airflow"
  airflow_chart_version = "1.22.0"
  gateway_chart_version = "v1.7.4"
  dags_bundle_name      = "mlops"
  gpu_taint_key         = "nvidia.com/gpu"
  kube_version          = coalesce(var.kube_version, data.selectel_mks_kube_versions_v1.pool.default_version)
}

data "selectel_mks_kube_versions_v1" "pool" {
  project_id = var.project_id
  region     = var.region
}

# The nodes get their own subnet on db01's network: the module's subnet hands out only .2-.9 dynamically.
resource "openstack_networking_subnet_v2" "k8s_nodes" {
  name            = "${var.name_prefix}-k8s-nodes"
  network_id      = module.platform.network_id
  cidr            = var.k8s_nodes_cidr
  ip_version      = 4
  dns_nameservers = ["1.1.1.1", "8.8.8.8"]

  lifecycle {
    precondition {
      condition     = cidrhost(var.k8s_nodes_cidr, 0) != cidrhost(var.private_cidr, 0)
      error_message = "k8s_nodes_cidr must differ from private_cidr (the VMs' subnet)."
    }
  }
}

# Routed to the VMs' subnet and out to the internet (image pulls, git clone) through the module's router.
resource "openstack_networking_router_interface_v2" "k8s_nodes" {
  router_id = module.platform.router_id
  subnet_id = openstack_networking_subnet_v2.k8s_nodes.id
}

# PostgreSQL on db01 from the node subnet only (pods leave the nodes with the node's address).
resource "openstack_networking_secgroup_rule_v2" "postgresql_from_k8s_nodes" {
  security_group_id = module.platform.db_security_group_id
  description       = "PostgreSQL from the Kubernetes node subnet"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 5432
  port_range_max    = 5432
  remote_ip_prefix  = var.k8s_nodes_cidr
}

resource "selectel_mks_cluster_v1" "airflow" {
  name         = "${var.name_prefix}-airflow"
  project_id   = var.project_id
  region       = var.region
  kube_version = local.kube_version
  cluster_type = var.cluster_type
  network_id   = module.platform.network_id
  subnet_id    = openstack_networking_subnet_v2.k8s_nodes.id
  # Selectel requires auto patch upgrades off on BASIC clusters.
  enable_patch_version_auto_upgrade = var.cluster_type != "BASIC"

  depends_on = [openstack_networking_router_interface_v2.k8s_nodes]

  lifecycle {
    precondition {
      condition     = contains(data.selectel_mks_kube_versions_v1.pool.versions, local.kube_version)
      error_message = "kube_version ${local.kube_version} is not offered in ${var.region}; see selectel_mks_kube_versions_v1."
    }
  }
}

resource "selectel_mks_nodegroup_v1" "cpu" {
  cluster_id                   = selectel_mks_cluster_v1.airflow.id
  project_id                   = selectel_mks_cluster_v1.airflow.project_id
  region                       = selectel_mks_cluster_v1.airflow.region
  availability_zone            = var.k8s_availability_zone
  nodes_count                  = var.cpu_nodes_count
  cpus                         = var.cpu_node_cpus
  ram_mb                       = var.cpu_node_ram_mb
  volume_gb                    = var.node_volume_gb
  volume_type                  = var.k8s_volume_type
  install_nvidia_device_plugin = false
  labels = {
    "mlops.datatech.io/pool" = "cpu"
  }
}

# Optional GPU nodes: tainted so only tasks that ask for nvidia.com/gpu (executor_config) land there.
resource "selectel_mks_nodegroup_v1" "gpu" {
  count                        = var.gpu_nodes_count > 0 ? 1 : 0
  cluster_id                   = selectel_mks_cluster_v1.airflow.id
  project_id                   = selectel_mks_cluster_v1.airflow.project_id
  region                       = selectel_mks_cluster_v1.airflow.region
  availability_zone            = var.k8s_availability_zone
  nodes_count                  = var.gpu_nodes_count
  flavor_id                    = var.gpu_flavor_id
  volume_gb                    = var.node_volume_gb
  volume_type                  = var.k8s_volume_type
  install_nvidia_device_plugin = true
  labels = {
    "mlops.datatech.io/pool" = "gpu"
  }

  taints {
    key    = local.gpu_taint_key
    value  = "present"
    effect = "NoSchedule"
  }

  lifecycle {
    precondition {
      condition     = var.gpu_flavor_id != ""
      error_message = "gpu_nodes_count > 0 needs gpu_flavor_id (a GPU flavor ID of the pool segment)."
    }
  }
}

data "selectel_mks_kubeconfig_v1" "cluster" {
  cluster_id = selectel_mks_cluster_v1.airflow.id
  project_id = selectel_mks_cluster_v1.airflow.project_id
  region     = selectel_mks_cluster_v1.airflow.region
}
