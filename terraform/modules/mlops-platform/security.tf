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
