# Outputs of every cloud root (the contract `mlopsctl infra inventory` reads); linked into each root.
output "cloud" {
  description = "Which cloud root produced these outputs (mlopsctl names the inventory after it)."
  value       = basename(abspath(path.root))
}

output "hosts" {
  description = "Every VM: groups, private_ip, public_ip, gpu, flavor (mlopsctl infra inventory reads this)."
  value       = module.platform.hosts
}

output "private_cidr" {
  description = "CIDR of the private network; mlopsctl infra inventory refuses a host whose private_ip is outside it."
  value       = module.platform.private_cidr
}

output "ssh_user" {
  description = "User Ansible connects as."
  value       = module.platform.ssh_user
}

output "airflow_url" {
  description = "Airflow UI/API, reachable from the admin CIDRs."
  value       = module.platform.airflow_url
}
