output "kubeconfig" {
  description = "Kubeconfig of the cluster (admin client certificate); mlopsctl writes it to the inventory's secrets dir."
  value       = data.selectel_mks_kubeconfig_v1.cluster.raw_config
  sensitive   = true
}

output "k8s_nodes_cidr" {
  description = "Subnet of the Kubernetes nodes; the inventory admits it to db01's pg_hba, like the security group."
  value       = var.k8s_nodes_cidr
}

output "k8s_airflow" {
  description = "Airflow in the cluster: namespace, public URL, DAG bundle and the Git ref it tracks (mlopsctl dags deploy --target k8s)."
  value = {
    namespace    = local.airflow_namespace
    url          = "https://${var.airflow_hostname}"
    bundle_name  = local.dags_bundle_name
    git_ref      = var.dags_git_ref
    git_url      = var.dags_git_url
    image        = "${var.airflow_image_repository}:${var.airflow_image_tag}"
    gpu_nodes    = var.gpu_nodes_count
    gpu_resource = local.gpu_taint_key
  }
}
