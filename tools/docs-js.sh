#!/usr/bin/env bash
# The documentation site's own copy of Mermaid, so its diagrams render without a CDN: one pinned release from the
# npm registry, checked against its sha512 before use. Used by make docs, make test (prerequisites) and the pages job.
set -euo pipefail
cd "$(dirname "$0")/.."
version=11.17.2
sha512=57a2b70bc101744b0f1595d228c25eea9a50384371b87011afd1af1d7e21878ee501b84c443f6a7f8a042bb2e869143150b31af34feab798073bbdda0a578106
dir=.mlops/docs-js
stamp="$dir/mermaid-$version.installed"
[ -f "$stamp" ] && [ -f "$dir/mermaid.min.js" ] && exit 0
echo "==> Mermaid $version for the documentation site into $dir"
mkdir -p "$dir"
tarball=$(mktemp)
trap 'rm -f "$tarball"' EXIT
curl -fsSL --retry 3 -o "$tarball" "https://registry.npmjs.org/mermaid/-/mermaid-$version.tgz"
echo "$sha512  $tarball" | sha512sum --check --quiet
tar -xzf "$tarball" -O package/dist/mermaid.min.js > "$dir/mermaid.min.js.tmp"
mv "$dir/mermaid.min.js.tmp" "$dir/mermaid.min.js"
rm -f "$dir"/mermaid-*.installed
touch "$stamp"
