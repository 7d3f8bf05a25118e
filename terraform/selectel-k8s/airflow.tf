locals {
  # What depends on the environment; the rest of the chart's values is k8s/airflow/values.yaml.
  airflow_values = {
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
}
