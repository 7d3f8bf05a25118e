resource "openstack_networking_secgroup_v2" "admin" {
  name        = "${var.name_prefix}-admin"
  description = "SSH from the admin CIDRs only"
}

resource "openstack_networking_secgroup_rule_v2" "ssh" {
  for_each          = toset(var.admin_cidrs)
  security_group_id = openstack_networking_secgroup_v2.admin.id
  description       = "SSH from admin network ${each.value}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = each.value
}

resource "openstack_networking_secgroup_v2" "db" {
  name        = "${var.name_prefix}-db"
  description = "PostgreSQL from the Airflow host only"
}

resource "openstack_networking_secgroup_rule_v2" "postgresql" {
  security_group_id = openstack_networking_secgroup_v2.db.id
  description       = "PostgreSQL from air01"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 5432
  port_range_max    = 5432
  remote_ip_prefix  = "${local.hosts.air01.ip}/32"
}

resource "openstack_networking_secgroup_v2" "airflow" {
  name        = "${var.name_prefix}-airflow"
  description = "Airflow UI/API from the admin CIDRs only"
}

resource "openstack_networking_secgroup_rule_v2" "airflow_ui" {
  for_each          = toset(var.admin_cidrs)
  security_group_id = openstack_networking_secgroup_v2.airflow.id
  description       = "Airflow UI/API over HTTPS from admin network ${each.value}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = var.airflow_port
  port_range_max    = var.airflow_port
  remote_ip_prefix  = each.value
}

resource "openstack_networking_secgroup_v2" "backup" {
  count       = var.backup_host ? 1 : 0
  name        = "${var.name_prefix}-backup"
  description = "SSH to the backup host from db01 only (pgBackRest's WAL pushes, and admins jumping through db01)"
}

resource "openstack_networking_secgroup_rule_v2" "backup_ssh" {
  count             = var.backup_host ? 1 : 0
  security_group_id = openstack_networking_secgroup_v2.backup[0].id
  description       = "SSH from db01 (pgBackRest archive-push and restore; admins through db01)"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = "${local.hosts.db01.ip}/32"
}

resource "openstack_networking_secgroup_v2" "backup_client" {
  count       = var.backup_host ? 1 : 0
  name        = "${var.name_prefix}-backup-client"
  description = "SSH to db01 from the backup host (pgBackRest takes backups from the repository host)"
}

resource "openstack_networking_secgroup_rule_v2" "backup_client_ssh" {
  count             = var.backup_host ? 1 : 0
  security_group_id = openstack_networking_secgroup_v2.backup_client[0].id
  description       = "SSH from bak01 (pgBackRest backup and check)"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = "${local.backup_hosts.bak01.ip}/32"
}

# No ingress rule: Neutron's default egress rules only, for a port that must reach out and take nothing in.
resource "openstack_networking_secgroup_v2" "egress_only" {
  count       = local.use_egress_only ? 1 : 0
  name        = "${var.name_prefix}-egress-only"
  description = "Outgoing connections only (public ports of bak01 and the workers on clouds without a router)"
}

# Airflow's Celery workers (worker_count > 0): everything they use or serve is on the private network, each rule from
# one host's /32. Workers take tasks from the Redis broker on air01 (6379) and report through its execution API
# (HTTPS, airflow_port); tasks and the Celery result backend reach PostgreSQL on db01 (5432); air01's API server reads
# task logs from each worker's log server (8793); SSH to a worker comes from db01 only (the inventory jumps through it).
resource "openstack_networking_secgroup_v2" "worker_clients" {
  count       = var.worker_count > 0 ? 1 : 0
  name        = "${var.name_prefix}-worker-clients"
  description = "Redis broker and the execution API on air01, from the Celery workers only"
}

resource "openstack_networking_secgroup_rule_v2" "broker_from_workers" {
  for_each          = local.worker_hosts
  security_group_id = openstack_networking_secgroup_v2.worker_clients[0].id
  description       = "Redis broker from ${each.key}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 6379
  port_range_max    = 6379
  remote_ip_prefix  = "${each.value.ip}/32"
}

resource "openstack_networking_secgroup_rule_v2" "execution_api_from_workers" {
  for_each          = local.worker_hosts
  security_group_id = openstack_networking_secgroup_v2.worker_clients[0].id
  description       = "Airflow execution API over HTTPS from ${each.key}"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = var.airflow_port
  port_range_max    = var.airflow_port
  remote_ip_prefix  = "${each.value.ip}/32"
}

resource "openstack_networking_secgroup_rule_v2" "postgresql_from_workers" {
  for_each          = local.worker_hosts
  security_group_id = openstack_networking_secgroup_v2.db.id
  description       = "PostgreSQL from ${each.key} (its tasks and the Celery result backend)"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 5432
  port_range_max    = 5432
  remote_ip_prefix  = "${each.value.ip}/32"
}

resource "openstack_networking_secgroup_v2" "worker" {
  count       = var.worker_count > 0 ? 1 : 0
  name        = "${var.name_prefix}-worker"
  description = "Celery workers: SSH from db01 only, the task log server from air01 only"
}

resource "openstack_networking_secgroup_rule_v2" "worker_ssh" {
  count             = var.worker_count > 0 ? 1 : 0
  security_group_id = openstack_networking_secgroup_v2.worker[0].id
  description       = "SSH from db01 (Ansible and admins jump through db01)"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 22
  port_range_max    = 22
  remote_ip_prefix  = "${local.hosts.db01.ip}/32"
}

resource "openstack_networking_secgroup_rule_v2" "worker_logs" {
  count             = var.worker_count > 0 ? 1 : 0
  security_group_id = openstack_networking_secgroup_v2.worker[0].id
  description       = "Task log server from air01 (the API server shows the workers' task logs)"
  direction         = "ingress"
  ethertype         = "IPv4"
  protocol          = "tcp"
  port_range_min    = 8793
  port_range_max    = 8793
  remote_ip_prefix  = "${local.hosts.air01.ip}/32"
}
