#!/usr/bin/env bash
# Installs the system packages the platform's tooling needs, only those missing (Debian/Ubuntu, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
# Every package by name: --no-install-recommends drops Recommends, so nothing may arrive as one.
#   golang-github-containernetworking-plugin-dnsname: hosts on one podman (CNI) network resolve each other by name
#   iptables: the CNI bridge's NAT and published ports
#   openssh-client: Ansible reaches the local hosts over SSH, like real VMs
#   chromium, chromium-driver: the docs site is opened in a real headless browser by its test
#   postgresql: a throwaway server for the tests of `mlopsctl bench gpu` and the notebook example
packages=(podman runc golang-github-containernetworking-plugin-dnsname iptables debootstrap rsync python3-venv make tar
  ca-certificates git openssh-client chromium chromium-driver postgresql)
need=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]}; run as root (or: sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
  echo "==> installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# gitlab-ci-local runs .gitlab-ci.yml jobs here (the platform test does); 4.73.0 is the last release for Node 20.
gcl=.mlops/node/node_modules/.bin/gitlab-ci-local
if [ ! -x "$gcl" ] || [ "$("$gcl" --version 2>/dev/null)" != "4.73.0" ]; then
  echo "==> installing gitlab-ci-local 4.73.0 into .mlops/node"
  npm install --prefix .mlops/node --no-audit --no-fund --silent gitlab-ci-local@4.73.0
fi
