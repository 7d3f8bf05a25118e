# Servers, networks and security groups go through Selectel's OpenStack API. The project and its service user are
# made once in the control panel (or with the selectel/selectel provider); the password comes from OS_PASSWORD.
provider "openstack" {
  auth_url         = var.auth_url
  region           = var.region
  tenant_id        = var.project_id
  user_domain_name = var.account_id
  user_name        = var.username
}
