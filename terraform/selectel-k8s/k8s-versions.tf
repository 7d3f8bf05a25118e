# Providers of the cluster on top of the shared openstack pin (versions.tf); Terraform merges required_providers blocks.
terraform {
  required_providers {
    selectel = {
      source  = "selectel/selectel"
      version = "~> 7.2"
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.1"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 3.0"
    }
  }
}
