locals {
  # The platform's one Airflow version (group_vars/airflow.yml): the VMs, this chart and the image's tag.
  airflow_version = yamldecode(file("${path.module}/../../group_vars/airflow.yml")).airflow_version
  # What depends on the environment; the rest of the chart's values is k8s/airflow/values.yaml.
  airflow_values = {
    airflowVersion    = local.airflow_version
    defaultAirflowTag = local.airflow_version
    images = {
      airflow = {
        repository = var.airflow_image_repository
        tag        = var.airflow_image_tag
      }
    }
    config = {
      api = {
        base_url = "https://${var.airflow_hostname}"
      }
      dag_processor = {
        dag_bundle_config_list = jsonencode([{
          name      = local.dags_bundle_name
          classpath = "airflow.providers.git.bundles.git.GitDagBundle"
          kwargs = {
            git_conn_id  = "mlops_git"
            repo_url     = var.dags_git_url
            tracking_ref = var.dags_git_ref
            subdir       = "dags"
          }
        }])
      }
    }
  }
}

# Namespace and Secrets exist before this (mlopsctl k8s secrets); the chart's migration job needs the metadata Secret.
resource "helm_release" "airflow" {
  name       = "airflow"
  repository = "https://airflow.apache.org"
  chart      = "airflow"
  version    = local.airflow_chart_version
  namespace  = local.airflow_namespace
  timeout    = 1200
  wait       = true
  values = [
    file("${path.module}/../../k8s/airflow/values.yaml"),
    yamlencode(local.airflow_values),
  ]

  depends_on = [selectel_mks_nodegroup_v1.cpu, kubernetes_manifest.route_api]

  lifecycle {
    precondition {
      condition     = startswith(var.airflow_image_tag, "${local.airflow_version}-")
      error_message = "airflow_image_tag must start with ${local.airflow_version}- (group_vars/airflow.yml airflow_version, the Airflow of the VMs): build the image of that version."
    }
  }
}
