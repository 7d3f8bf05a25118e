module "platform" {
  source = "../modules/mlops-platform"

  name_prefix           = var.name_prefix
  admin_cidrs           = var.admin_cidrs
  admin_user            = var.admin_user
  ssh_public_key        = var.ssh_public_key
  image_name            = var.image_name
  db_flavor_name        = var.db_flavor_name
  airflow_flavor_name   = var.airflow_flavor_name
  db_volume_size        = var.db_volume_size
  airflow_volume_size   = var.airflow_volume_size
  backup_host           = var.backup_host
  backup_flavor_name    = var.backup_flavor_name
  backup_volume_size    = var.backup_volume_size
  worker_count          = var.worker_count
  worker_flavor_name    = var.worker_flavor_name
  worker_gpu            = var.worker_gpu
  worker_volume_size    = var.worker_volume_size
  availability_zone     = var.availability_zone
  private_cidr          = var.private_cidr
  volume_type           = var.volume_type
  external_network_name = "external-network"
}
