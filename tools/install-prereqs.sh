#!/usr/bin/env bash
# Installs the system packages the platform's tooling needs, only those missing (Debian/Ubuntu, as root).
set -euo pipefail
need=()
for pkg in podman runc debootstrap rsync python3-venv make tar ca-certificates; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]}; run as root (or: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "==> installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
