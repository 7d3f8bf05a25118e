# Immers.cloud is plain OpenStack; credentials come from the environment (OS_APPLICATION_CREDENTIAL_ID and
# OS_APPLICATION_CREDENTIAL_SECRET, or OS_USERNAME/OS_PASSWORD/OS_PROJECT_ID), never from files in the repository.
provider "openstack" {
  auth_url = var.auth_url
  region   = var.region
}
