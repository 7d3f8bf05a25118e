# Managed Kubernetes goes through Selectel's own API; it reads the service user's password from OS_PASSWORD too.
provider "selectel" {
  auth_url    = "${trimsuffix(var.auth_url, "/")}/"
  auth_region = var.region
  domain_name = var.account_id
  username    = var.username
}

# Helm and Kubernetes talk to the new cluster with the client certificate of its kubeconfig.
provider "helm" {
  kubernetes = {
    host                   = data.selectel_mks_kubeconfig_v1.cluster.server
    client_certificate     = base64decode(data.selectel_mks_kubeconfig_v1.cluster.client_cert)
    client_key             = base64decode(data.selectel_mks_kubeconfig_v1.cluster.client_key)
    cluster_ca_certificate = base64decode(data.selectel_mks_kubeconfig_v1.cluster.cluster_ca_cert)
  }
}

provider "kubernetes" {
  host                   = data.selectel_mks_kubeconfig_v1.cluster.server
  client_certificate     = base64decode(data.selectel_mks_kubeconfig_v1.cluster.client_cert)
  client_key             = base64decode(data.selectel_mks_kubeconfig_v1.cluster.client_key)
  cluster_ca_certificate = base64decode(data.selectel_mks_kubeconfig_v1.cluster.cluster_ca_cert)
}
