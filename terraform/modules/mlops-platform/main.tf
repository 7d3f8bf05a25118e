locals {
  hosts = {
    db01  = { groups = ["db"], flavor = var.db_flavor_name, volume = var.db_volume_size, ip = cidrhost(var.private_cidr, 10), gpu = true }
    air01 = { groups = ["airflow"], flavor = var.airflow_flavor_name, volume = var.airflow_volume_size, ip = cidrhost(var.private_cidr, 11), gpu = false }
  }
  # Security groups of each host's private port: SSH for the admins everywhere, then what the host serves.
  private_groups = {
    db01  = [openstack_networking_secgroup_v2.admin.id, openstack_networking_secgroup_v2.db.id]
    air01 = [openstack_networking_secgroup_v2.admin.id, openstack_networking_secgroup_v2.airflow.id]
  }
  # The public port (Immers.cloud) never carries the database group: 5432 stays on the private network.
  public_groups = {
    db01  = [openstack_networking_secgroup_v2.admin.id]
    air01 = [openstack_networking_secgroup_v2.admin.id, openstack_networking_secgroup_v2.airflow.id]
  }
  use_router = var.external_network_name != ""
  use_public = var.public_network_name != ""
}

data "openstack_images_image_v2" "os" {
  name        = var.image_name
  most_recent = true
}

data "openstack_compute_flavor_v2" "host" {
  for_each = local.hosts
  name     = each.value.flavor
}

resource "openstack_compute_keypair_v2" "admin" {
  name       = "${var.name_prefix}-admin"
  public_key = var.ssh_public_key
}

resource "openstack_blockstorage_volume_v3" "boot" {
  for_each          = local.hosts
  name              = "${var.name_prefix}-${each.key}-boot"
  size              = each.value.volume
  image_id          = data.openstack_images_image_v2.os.id
  volume_type       = var.volume_type
  availability_zone = var.availability_zone

  lifecycle {
    ignore_changes = [image_id]
  }
}

# Each VM's SSH host key is made here and handed to cloud-init, so `mlopsctl infra inventory` pins it: the first
# connection is checked like every other (no trust on first use). The private half is in the state and the VM's
# user data: keep the state in the encrypted backend (backend-s3.tf.example).
resource "tls_private_key" "host_key" {
  for_each  = local.hosts
  algorithm = "ED25519"
}

resource "openstack_compute_instance_v2" "host" {
  for_each          = local.hosts
  name              = "${var.name_prefix}-${each.key}"
  flavor_id         = data.openstack_compute_flavor_v2.host[each.key].id
  key_pair          = openstack_compute_keypair_v2.admin.name
  availability_zone = var.availability_zone
  user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
    hostname         = each.key
    admin_user       = var.admin_user
    ssh_public_key   = var.ssh_public_key
    host_private_key = tls_private_key.host_key[each.key].private_key_openssh
    host_public_key  = trimspace(tls_private_key.host_key[each.key].public_key_openssh)
  })
  metadata = {
    mlops_groups = join(",", each.value.groups)
  }

  block_device {
    uuid                  = openstack_blockstorage_volume_v3.boot[each.key].id
    source_type           = "volume"
    destination_type      = "volume"
    boot_index            = 0
    delete_on_termination = false
  }

  network {
    port = openstack_networking_port_v2.private[each.key].id
  }

  dynamic "network" {
    for_each = local.use_public ? [openstack_networking_port_v2.public[each.key].id] : []
    content {
      port = network.value
    }
  }

  lifecycle {
    ignore_changes = [user_data]

    precondition {
      condition = !each.value.gpu || length(setintersection(
        keys(data.openstack_compute_flavor_v2.host[each.key].extra_specs), var.gpu_extra_spec_keys
      )) > 0
      error_message = "Flavor ${each.value.flavor} of ${each.key} has none of the GPU extra specs (${join(", ", var.gpu_extra_spec_keys)}): db01 needs a GPU flavor for pg_strom."
    }
  }
}

resource "openstack_networking_floatingip_v2" "host" {
  for_each = local.use_router ? local.hosts : {}
  pool     = var.external_network_name
}

resource "openstack_networking_floatingip_associate_v2" "host" {
  for_each    = local.use_router ? local.hosts : {}
  floating_ip = openstack_networking_floatingip_v2.host[each.key].address
  port_id     = openstack_networking_port_v2.private[each.key].id

  depends_on = [openstack_networking_router_interface_v2.private]
}
