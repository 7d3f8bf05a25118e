variable "auth_url" {
  type        = string
  description = "Keystone URL of Immers.cloud."
  default     = "https://api.immers.cloud:5000/v3"
}

variable "region" {
  type        = string
  description = "OpenStack region of Immers.cloud."
  default     = "RegionOne"
}

variable "public_network_name" {
  type        = string
  description = "Immers.cloud's public network the VMs attach to (it gives them public addresses; no router)."
  default     = "immers"
}
