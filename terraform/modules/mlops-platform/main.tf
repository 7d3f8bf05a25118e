locals {
  # public: the host takes connections on a public address (floating IP or the public port); data_volume: GB of a
  # second volume mounted at data_path (0: none).
  platform_hosts = {
    db01  = { groups = ["db"], flavor = var.db_flavor_name, volume = var.db_volume_size, ip = cidrhost(var.private_cidr, 10), gpu = true, public = true, data_volume = 0, data_path = "" }
    air01 = { groups = ["airflow"], flavor = var.airflow_flavor_name, volume = var.airflow_volume_size, ip = cidrhost(var.private_cidr, 11), gpu = false, public = true, data_volume = 0, data_path = "" }
  }
  # pgBackRest's repository: private network only (admins reach it through db01); the repository lives on its own
  # volume at pgbackrest_repo_path's default, so a rebuilt VM keeps the backups.
  backup_hosts = {
    bak01 = { groups = ["backup"], flavor = var.backup_flavor_name, volume = 20, ip = cidrhost(var.private_cidr, 12), gpu = false, public = false, data_volume = var.backup_volume_size, data_path = "/var/lib/pgbackrest" }
  }
  # Airflow's Celery workers (group airflow_workers): private network only like bak01, from .20 up (wrk01 .20).
  worker_hosts = {
    for i in range(var.worker_count) : format("wrk%02d", i + 1) => {
      groups      = ["airflow_workers"]
      flavor      = var.worker_flavor_name
      volume      = var.worker_volume_size
      ip          = cidrhost(var.private_cidr, 20 + i)
      gpu         = var.worker_gpu
      public      = false
      data_volume = 0
      data_path   = ""
    }
  }
  hosts        = merge(local.platform_hosts, var.backup_host ? local.backup_hosts : {}, local.worker_hosts)
  public_hosts = { for name, host in local.hosts : name => host if host.public }
  data_hosts   = { for name, host in local.hosts : name => host if host.data_volume > 0 }
  # Security groups of each host's private port: SSH for the admins, then what the host serves. pgBackRest runs
  # over SSH both ways: db01 pushes WAL to bak01, bak01 takes backups from db01.
  private_groups = {
    db01 = concat(
      [openstack_networking_secgroup_v2.admin.id, openstack_networking_secgroup_v2.db.id],
      var.backup_host ? [openstack_networking_secgroup_v2.backup_client[0].id] : [],
    )
    air01 = concat(
      [openstack_networking_secgroup_v2.admin.id, openstack_networking_secgroup_v2.airflow.id],
      var.worker_count > 0 ? [openstack_networking_secgroup_v2.worker_clients[0].id] : [],
    )
    bak01 = var.backup_host ? [openstack_networking_secgroup_v2.backup[0].id] : []
  }
  # Each worker: SSH from db01 (admins and Ansible jump through it), the task log server from air01.
  worker_private_groups = { for name, host in local.worker_hosts : name => [openstack_networking_secgroup_v2.worker[0].id] }
  # The public port (Immers.cloud) never carries the database group: 5432 stays on the private network. bak01's
  # public port (Immers.cloud has no router, so it is the only way out to the package mirrors) admits nothing.
  public_groups = {
    db01  = [openstack_networking_secgroup_v2.admin.id]
    air01 = [openstack_networking_secgroup_v2.admin.id, openstack_networking_secgroup_v2.airflow.id]
    bak01 = var.backup_host && local.use_public ? [openstack_networking_secgroup_v2.egress_only[0].id] : []
  }
  # Workers' public ports (Immers.cloud, the way out to the package mirrors) admit nothing either.
  worker_public_groups = { for name, host in local.worker_hosts : name => local.use_public ? [openstack_networking_secgroup_v2.egress_only[0].id] : [] }
  use_egress_only      = (var.backup_host || var.worker_count > 0) && local.use_public
  use_router           = var.external_network_name != ""
  use_public           = var.public_network_name != ""
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

resource "openstack_blockstorage_volume_v3" "data" {
  for_each          = local.data_hosts
  name              = "${var.name_prefix}-${each.key}-data"
  size              = each.value.data_volume
  volume_type       = var.volume_type
  availability_zone = var.availability_zone
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
    # KVM names a virtio disk after the first 20 characters of its volume ID; empty for a host without one.
    data_device = join("", [for name, volume in openstack_blockstorage_volume_v3.data : "/dev/disk/by-id/virtio-${substr(volume.id, 0, 20)}" if name == each.key])
    data_path   = each.value.data_path
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

  dynamic "block_device" {
    for_each = [for name, volume in openstack_blockstorage_volume_v3.data : volume.id if name == each.key]
    content {
      uuid                  = block_device.value
      source_type           = "volume"
      destination_type      = "volume"
      boot_index            = -1
      delete_on_termination = false
    }
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
      error_message = "Flavor ${each.value.flavor} of ${each.key} has none of the GPU extra specs (${join(", ", var.gpu_extra_spec_keys)}): db01 needs a GPU flavor for pg_strom, and workers with worker_gpu = true need one too."
    }
  }
}

resource "openstack_networking_floatingip_v2" "host" {
  for_each = local.use_router ? local.public_hosts : {}
  pool     = var.external_network_name
}

resource "openstack_networking_floatingip_associate_v2" "host" {
  for_each    = local.use_router ? local.public_hosts : {}
  floating_ip = openstack_networking_floatingip_v2.host[each.key].address
  port_id     = openstack_networking_port_v2.private[each.key].id

  depends_on = [openstack_networking_router_interface_v2.private]
}
