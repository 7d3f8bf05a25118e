#!/usr/bin/env bash
# Puts a pinned, checksum-verified kubectl into .cache/bin for the pipeline's Kubernetes jobs (the CI image has none;
# Debian's kubernetes-client is too old for a 1.33 API server). Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.33.5 dir=.cache/bin
arch=$(uname -m); case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
if [ "$("$dir/kubectl" version --client -o json 2>/dev/null | grep -o "\"gitVersion\": *\"$version\"")" = "" ]; then
  mkdir -p "$dir"
  base="https://dl.k8s.io/release/$version/bin/linux/$arch"
  curl -fsSL -o "$dir/kubectl.tmp" "$base/kubectl"
  echo "$(curl -fsSL "$base/kubectl.sha256")  $dir/kubectl.tmp" | sha256sum --check --quiet
  chmod 0755 "$dir/kubectl.tmp" && mv "$dir/kubectl.tmp" "$dir/kubectl"
fi
echo "$PWD/$dir/kubectl"
