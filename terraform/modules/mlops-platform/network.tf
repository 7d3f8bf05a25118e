resource "openstack_networking_network_v2" "private" {
  name           = "${var.name_prefix}-private"
  admin_state_up = true
}

resource "openstack_networking_subnet_v2" "private" {
  name            = "${var.name_prefix}-private"
  network_id      = openstack_networking_network_v2.private.id
  cidr            = var.private_cidr
  ip_version      = 4
  dns_nameservers = var.dns_nameservers
  # Leave .2-.9 to the cloud (DHCP, router); hosts take fixed addresses from .10.
  allocation_pool {
    start = cidrhost(var.private_cidr, 2)
    end   = cidrhost(var.private_cidr, 9)
  }
  no_gateway = !local.use_router
}

data "openstack_networking_network_v2" "external" {
  count = local.use_router ? 1 : 0
  name  = var.external_network_name
}

resource "openstack_networking_router_v2" "private" {
  count               = local.use_router ? 1 : 0
  name                = "${var.name_prefix}-router"
  external_network_id = data.openstack_networking_network_v2.external[0].id
}

resource "openstack_networking_router_interface_v2" "private" {
  count     = local.use_router ? 1 : 0
  router_id = openstack_networking_router_v2.private[0].id
  subnet_id = openstack_networking_subnet_v2.private.id
}

resource "openstack_networking_port_v2" "private" {
  for_each           = local.hosts
  name               = "${var.name_prefix}-${each.key}-private"
  network_id         = openstack_networking_network_v2.private.id
  security_group_ids = merge(local.private_groups, local.worker_private_groups)[each.key]

  fixed_ip {
    subnet_id  = openstack_networking_subnet_v2.private.id
    ip_address = each.value.ip
  }
}

data "openstack_networking_network_v2" "public" {
  count = local.use_public ? 1 : 0
  name  = var.public_network_name
}

resource "openstack_networking_port_v2" "public" {
  for_each           = local.use_public ? local.hosts : {}
  name               = "${var.name_prefix}-${each.key}-public"
  network_id         = data.openstack_networking_network_v2.public[0].id
  security_group_ids = merge(local.public_groups, local.worker_public_groups)[each.key]
}
