#!/usr/bin/env bash
# Installs the system packages the platform's tooling needs, only those missing (Debian/Ubuntu, as root), and the
# container engine(s) of the local hosts, started. Says which engine it used.
# Usage: tools/install-prereqs.sh [ENGINE...]   ENGINE: auto, podman or docker (default: mlopsctl.toml's local.engine)
#   auto: podman when installed, else a Docker engine already there, else podman (installed).
#   docker: an engine that already answers `docker info` (Docker CE or Debian's) is used as it is; otherwise
#   Debian's docker.io is installed, unless another package already brings dockerd (two daemons would fight over
#   the same iptables chains), and started.
set -euo pipefail
cd "$(dirname "$0")/.."
engines=("$@")
if [ ${#engines[@]} -eq 0 ]; then
  engines=("$(python3 -c 'import tomllib; print(tomllib.load(open("mlopsctl.toml", "rb")).get("local", {}).get("engine", "auto"))' 2>/dev/null || echo auto)")
fi

docker_answers() { command -v docker >/dev/null && docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }
chosen=()
for engine in "${engines[@]}"; do
  case $engine in
    auto)
      if command -v podman >/dev/null; then chosen+=(podman)
      elif docker_answers || command -v dockerd >/dev/null; then chosen+=(docker)
      else chosen+=(podman); fi ;;
    podman | docker) chosen+=("$engine") ;;
    *) echo "unknown engine $engine (known: auto podman docker)" >&2; exit 2 ;;
  esac
done

# Every package by name: --no-install-recommends drops Recommends, so nothing may arrive as one.
#   iptables: the container networks' NAT and published ports
#   openssh-client: Ansible reaches the local hosts over SSH, like real VMs
#   chromium, chromium-driver: the docs site is opened in a real headless browser by its test
#   postgresql: a throwaway server for the tests of `mlopsctl bench gpu` and the notebook example
packages=(iptables debootstrap rsync python3-venv make tar ca-certificates git openssh-client chromium chromium-driver
  postgresql)
if [[ " ${chosen[*]} " == *" podman "* ]]; then
  # runc: crun fails on hybrid cgroups; the dnsname plugin: hosts on one podman (CNI) network resolve each other by name
  packages+=(podman runc golang-github-containernetworking-plugin-dnsname)
fi
if [[ " ${chosen[*]} " == *" docker "* ]] && ! docker_answers && ! command -v dockerd >/dev/null; then
  packages+=(docker.io)
fi
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

if [[ " ${chosen[*]} " == *" docker "* ]] && ! docker_answers; then
  if [[ " ${chosen[*]} " == *" podman "* ]]; then
    # Podman's networks turn IP forwarding on anyway; on first, dockerd leaves the FORWARD policy as it is (it sets
    # DROP only when it enables forwarding itself), the state both engines were measured in side by side.
    sysctl -qw net.ipv4.ip_forward=1
  fi
  if [ -d /run/systemd/system ]; then
    echo "==> starting the Docker engine (systemctl enable --now docker)"
    systemctl enable --now docker
  else
    # No systemd on this machine (a build container): dockerd runs detached, its log in /var/log/dockerd.log.
    echo "==> starting the Docker engine (dockerd in the background, log /var/log/dockerd.log)"
    setsid dockerd >>/var/log/dockerd.log 2>&1 < /dev/null &
  fi
  for _ in $(seq 60); do docker_answers && break; sleep 0.5; done
  docker_answers || { echo "dockerd did not answer within 30 s; see /var/log/dockerd.log" >&2; exit 1; }
fi
for engine in $(printf '%s\n' "${chosen[@]}" | sort -u); do
  if [ "$engine" = podman ]; then
    echo "==> container engine: podman $(podman version --format '{{.Client.Version}}') with runc"
  else
    echo "==> container engine: Docker $(docker version --format '{{.Server.Version}}') ($(command -v dockerd))"
  fi
done

# gitlab-ci-local runs .gitlab-ci.yml jobs here (the platform test does); 4.73.0 is the last release for Node 20.
gcl=.mlops/node/node_modules/.bin/gitlab-ci-local
if [ ! -x "$gcl" ] || [ "$("$gcl" --version 2>/dev/null)" != "4.73.0" ]; then
  echo "==> installing gitlab-ci-local 4.73.0 into .mlops/node"
  npm install --prefix .mlops/node --no-audit --no-fund --silent gitlab-ci-local@4.73.0
fi

# The documentation site's own Mermaid (the docs test renders its diagrams in Chromium, with no CDN here).
tools/docs-js.sh
