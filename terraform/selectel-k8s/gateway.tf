# Gateway API with Envoy Gateway (ingress-nginx is retired); its chart also installs the Gateway API CRDs.
resource "helm_release" "envoy_gateway" {
  name             = "eg"
  repository       = "oci://docker.io/envoyproxy"
  chart            = "gateway-helm"
  version          = local.gateway_chart_version
  namespace        = "envoy-gateway-system"
  create_namespace = true
  wait             = true

  depends_on = [selectel_mks_nodegroup_v1.cpu]
}

resource "kubernetes_secret_v1" "gateway_tls" {
  metadata {
    name      = "airflow-tls"
    namespace = local.airflow_namespace
  }
  type = "kubernetes.io/tls"
  data = {
    "tls.crt" = var.tls_certificate_pem
    "tls.key" = var.tls_private_key_pem
  }
}

locals {
  gateway_vars = {
    namespace  = local.airflow_namespace
    hostname   = var.airflow_hostname
    tls_secret = kubernetes_secret_v1.gateway_tls.metadata[0].name
    service    = "airflow-api-server"
    port       = 8080
    # A YAML flow list (JSON), for the EnvoyProxy's loadBalancerSourceRanges and the SecurityPolicy's clientCIDRs.
    admin_cidrs = jsonencode(var.admin_cidrs)
  }
}

# The manifests are files under k8s/gateway/ (validated by tools/tests/test_k8s.py); their CRDs come from the chart,
# so the first apply installs the chart first (mlopsctl's apply stages).
resource "kubernetes_manifest" "gateway_class" {
  manifest   = yamldecode(file("${path.module}/../../k8s/gateway/gatewayclass.yaml"))
  depends_on = [helm_release.envoy_gateway]
}

# Created before the Gateway that names it, so Envoy's Service never exists without the admin CIDRs.
resource "kubernetes_manifest" "envoy_proxy" {
  manifest   = yamldecode(templatefile("${path.module}/../../k8s/gateway/envoyproxy.yaml.tftpl", local.gateway_vars))
  depends_on = [helm_release.envoy_gateway]
}

resource "kubernetes_manifest" "gateway" {
  manifest   = yamldecode(templatefile("${path.module}/../../k8s/gateway/gateway.yaml.tftpl", local.gateway_vars))
  depends_on = [kubernetes_manifest.gateway_class, kubernetes_manifest.envoy_proxy]
}

resource "kubernetes_manifest" "admin_cidrs_only" {
  manifest   = yamldecode(templatefile("${path.module}/../../k8s/gateway/securitypolicy.yaml.tftpl", local.gateway_vars))
  depends_on = [kubernetes_manifest.gateway]
}

resource "kubernetes_manifest" "route_api" {
  manifest   = yamldecode(templatefile("${path.module}/../../k8s/gateway/httproute-api.yaml.tftpl", local.gateway_vars))
  depends_on = [kubernetes_manifest.gateway]
}

resource "kubernetes_manifest" "route_redirect" {
  manifest   = yamldecode(templatefile("${path.module}/../../k8s/gateway/httproute-redirect.yaml.tftpl", local.gateway_vars))
  depends_on = [kubernetes_manifest.gateway]
}
