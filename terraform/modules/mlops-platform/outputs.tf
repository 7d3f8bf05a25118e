output "hosts" {
  description = "Every VM with what the Ansible inventory needs: groups, private and public address (null: private network only), GPU flag, SSH host key."
  value = {
    for name, host in local.hosts : name => {
      groups     = host.groups
      private_ip = host.ip
      public_ip = (
        !host.public ? null :
        local.use_router ? openstack_networking_floatingip_v2.host[name].address :
        local.use_public ? openstack_networking_port_v2.public[name].all_fixed_ips[0] : null
      )
      gpu          = host.gpu
      flavor       = host.flavor
      ssh_host_key = trimspace(tls_private_key.host_key[name].public_key_openssh)
    }
  }
}

output "private_cidr" {
  description = "CIDR of the private network every host has its private_ip on (the inventory refuses a host outside it)."
  value       = var.private_cidr
}

output "ssh_user" {
  description = "User Ansible connects as (created by cloud-init with the SSH key)."
  value       = var.admin_user
}

output "airflow_url" {
  description = "Airflow UI/API, reachable from the admin CIDRs."
  value = "https://${coalesce(
    local.use_router ? openstack_networking_floatingip_v2.host["air01"].address : null,
    local.use_public ? openstack_networking_port_v2.public["air01"].all_fixed_ips[0] : null,
    local.hosts.air01.ip,
  )}${var.airflow_port == 443 ? "" : ":${var.airflow_port}"}"
}

output "network_id" {
  description = "ID of the private network db01 and air01 sit on (roots attach more subnets to it, e.g. Kubernetes nodes)."
  value       = openstack_networking_network_v2.private.id
}

output "router_id" {
  description = "ID of the router to the external network; null where the cloud has none (Immers.cloud)."
  value       = local.use_router ? openstack_networking_router_v2.private[0].id : null
}

output "db_security_group_id" {
  description = "ID of db01's PostgreSQL security group (roots add clients, e.g. a Kubernetes node subnet)."
  value       = openstack_networking_secgroup_v2.db.id
}
