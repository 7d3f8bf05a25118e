#!/usr/bin/env bash
# pg_strom on a real GPU with the postgresql role's own recipe, then `mlopsctl bench gpu` at scale factor 10 with
# pg_strom on and off (same CPU workers, identical results checked), in one call of a few minutes on a GPU machine
# without network, systemd or apt (the lent H100/H200). The role cannot run there, so this script runs its parts:
# module_utils/pg_strom.py writes the pkg-config files and the make parameters, filter pg_tuning the GPU host's
# settings, exactly as the role does. Inputs in .gpu-carry/ from tools/gpu/pgstrom-device-prepare.sh (run here first).
# Usage there: OUT=/some/dir bash tools/gpu/pgstrom-device-check.sh [SCALE]   (SCALE: default 10 = 60 M fact rows)
#   --build-only as first argument: stop after the build and install (what a CPU machine can check, with a stub).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:?set OUT to a directory for the log and figures}
exec > >(tee "$OUT/pgstrom.log") 2>&1
build_only=false
[ "${1:-}" = --build-only ] && { build_only=true; shift; }
scale=${1:-10}
carry=$PWD/.gpu-carry
export PYTHONPATH=$PWD/collections:$PWD/tools/src
pg=15
cuda=${CUDA_HOME:-/usr/local/cuda}
start=$(date +%s)
say() { echo "[$(($(date +%s) - start)) s] $*"; }

say "PostgreSQL $pg from Debian 12's packages"
for f in "$carry"/pgdeb/*.deb; do dpkg -x "$f" /; done
ldconfig
PGBIN=/usr/lib/postgresql/$pg/bin
export PATH=$cuda/bin:$PGBIN:$PATH
"$PGBIN/pg_config" --version
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader || true

# pyarrow: this machine's own where pg_strom builds with its Arrow, else the role's pinned wheel, hash-checked.
read -r pa_dir pa_version < <(python3 - <<'PY'
import os
from ansible_collections.datatech.mlops.plugins.module_utils.pg_strom import RELEASES, version_tuple
release = RELEASES["6.1"]
try:
    import pyarrow
    if release.arrow_min <= version_tuple(pyarrow.__version__)[0] <= release.arrow_max:
        print(os.path.dirname(pyarrow.__file__), pyarrow.__version__)
        raise SystemExit
except ImportError:
    pass
print("-", "-")
PY
)
if [ "$pa_dir" = - ]; then
  wheel=$(ls "$carry"/wheels/pyarrow-*.whl 2>/dev/null | head -1)
  [ -n "$wheel" ] || { say "no usable pyarrow here: run tools/gpu/pgstrom-device-prepare.sh --wheel and carry .gpu-carry"; exit 1; }
  python3 -m pip install -q --no-deps --require-hashes --no-index --target /opt/pg_strom/pyarrow \
    -r "$carry/pyarrow-requirements.txt" --find-links "$carry/wheels"
  pa_dir=/opt/pg_strom/pyarrow/pyarrow
  pa_version=$(python3 -c "import sys; sys.path.insert(0, '/opt/pg_strom/pyarrow'); import pyarrow; print(pyarrow.__version__)")
fi
say "Arrow/Parquet from pyarrow $pa_version in $pa_dir"

# cufile.h: in the toolkit where NVIDIA installed it, else in the nvidia-cufile wheel beside it.
includes=("$pa_dir/include")
if [ ! -e "$cuda/include/cufile.h" ]; then
  cufile=$(python3 -c "import glob, site; print(next(iter(glob.glob(site.getsitepackages()[0] + '/nvidia/*/include/cufile.h')), ''))")
  [ -n "$cufile" ] && includes+=("$(dirname "$cufile")")
fi

# The role's recipe: the libraries' link names, pkg-config files and make parameters, from module_utils/pg_strom.py.
libcuda=$(ls /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/local/nvidia/lib64/libcuda.so.1 "$cuda"/lib64/stubs/libcuda.so 2>/dev/null | head -1)
src=$carry/pg-strom
mkdir -p /opt/pg_strom/pkgconfig "$src/link"
ln -sfn "$libcuda" "$src/link/libcuda.so"
mapfile -d '' make_args < <(python3 - "$pa_dir" "$pa_version" "$PGBIN/pg_config" "$cuda" "$src/link" "${includes[@]}" <<'PY'
import os, sys
from ansible_collections.datatech.mlops.plugins.module_utils.pg_strom import arrow_soversion, make_params, pkgconfig_files
pa_dir, version, pg_config, cuda, link, *includes = sys.argv[1:]
for name, text in pkgconfig_files(pa_dir, version).items():
    open(f"/opt/pg_strom/pkgconfig/{name}", "w").write(text)
for lib in ("libarrow", "libparquet"):
    target = os.path.join(pa_dir, f"{lib}.so")
    if not os.path.exists(target):
        os.symlink(f"{lib}.so.{arrow_soversion(version)}", target)
for key, value in make_params(pg_config, cuda, includes, link).items():
    sys.stdout.write(f"{key}={value}\0")
PY
)
say "make install ${make_args[*]}"
PKG_CONFIG_PATH=/opt/pg_strom/pkgconfig make -C "$src/src" -j"$(nproc)" install "${make_args[@]}" >"$OUT/build.log" 2>&1 ||
  { tail -40 "$OUT/build.log"; exit 1; }
readelf --dynamic "/usr/lib/postgresql/$pg/lib/pg_strom.so" | grep -E "NEEDED|RUNPATH"
say "pg_strom built and installed"
$build_only && exit 0

id pgt >/dev/null 2>&1 || useradd -m pgt
pkill -u pgt postgres || true
rm -rf /tmp/pgdata
su pgt -c "$PGBIN/initdb -D /tmp/pgdata -A trust" >/dev/null
# The settings the role gives a GPU host of this size (filter pg_tuning with gpu=True), and pg_strom's preload.
python3 - >>/tmp/pgdata/postgresql.conf <<'PY'
import os
from ansible_collections.datatech.mlops.plugins.filter.postgresql import pg_conf_value, pg_tuning
memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
settings = {**pg_tuning(memory_mb, os.cpu_count(), 100, gpu=True), "max_worker_processes": 100}
settings.update(shared_preload_libraries="$libdir/pg_strom", unix_socket_directories="/tmp", jit=False)
print("\n".join(f"{name} = {pg_conf_value(value)}" for name, value in sorted(settings.items())))
PY
grep -E "shared_buffers|max_worker|parallel" /tmp/pgdata/postgresql.conf | tail -6
su pgt -c "PATH=$cuda/bin:\$PATH $PGBIN/pg_ctl -D /tmp/pgdata -l /tmp/pg.log -w -t 600 start" || { cat /tmp/pg.log; exit 1; }
say "server started with pg_strom preloaded"
grep -i "PG-Strom" /tmp/pg.log | head -4
psql="$PGBIN/psql -h /tmp -U pgt -d postgres -X -v ON_ERROR_STOP=1"
su pgt -c "$psql -c 'CREATE EXTENSION pg_strom' -c \"SELECT att_name, att_value FROM pgstrom.gpu_device_info WHERE att_name IN ('DEV_NAME', 'DEV_TOTAL_MEMSZ', 'DEV_CC_MAJOR', 'DEV_CC_MINOR')\""
# The first start compiles the GPU code in the background; GPU plans appear once it is ready.
for _ in $(seq 1 90); do
  grep -q "fatbin image is ready" /tmp/pg.log && break
  sleep 2
done
say "$(grep -m1 'fatbin image is ready' /tmp/pg.log || echo 'GPU code not ready after 180 s')"

say "mlopsctl bench gpu --scale $scale (pg_strom on and off, every CPU as parallel workers both ways)"
python3 -m mlopsctl bench gpu --dsn "host=/tmp user=pgt dbname=postgres" --scale "$scale" --runs 3 \
  --json "$OUT/bench-gpu.json" | tee "$OUT/bench-gpu.txt"
cp /tmp/pg.log "$OUT/pg.log"
say "done"
