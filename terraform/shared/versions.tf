terraform {
  required_version = ">= 1.9.0"

  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = "~> 3.0"
    }
    # The VMs' SSH host keys (modules/mlops-platform), pinned by the inventory.
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
  }
}
