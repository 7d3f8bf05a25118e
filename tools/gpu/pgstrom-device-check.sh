#!/bin/bash
# GPU check of the postgresql role's pg_strom recipe on a GPU machine with no network (the lent H100):
# build pg_strom 6.1 against PostgreSQL 15's headers with the role's make parameters, preload it, CREATE EXTENSION,
# wait for the GPU code, then EXPLAIN and time a GROUP BY with pg_strom on and off.
# Inputs, prepared on a machine with Debian's apt: .pgdeb/ holds `apt-get download postgresql-15 postgresql-client-15
# postgresql-server-dev-15 libpq5 libpq-dev libicu72 libicu-dev icu-devtools libldap-2.5-0 libssl-dev libkrb5-dev
# comerr-dev pkgconf pkgconf-bin libpkgconf3`; .pgstrom/ holds the v6.1 release (src/, Makefile.common, LICENSE).
# Arrow/Parquet headers come from the pyarrow the machine already has (stand-in for Apache's libarrow-dev).
# Usage there: OUT=/some/dir bash tools/gpu/pgstrom-device-check.sh
set -x
exec > >(tee $OUT/pgstrom.log) 2>&1
for f in .pgdeb/*.deb; do dpkg -x "$f" /; done; ldconfig
export PATH=/usr/local/cuda/bin:$PATH
PGC=/usr/lib/postgresql/15/bin/pg_config
$PGC --version; ls /usr/include/postgresql/15/server | head -3
rm -rf /tmp/pg-strom-6.1; cp -r .pgstrom /tmp/pg-strom-6.1
# Stand-in for Apache Arrow's libarrow-dev/libparquet-dev (no network here): the headers and libraries pyarrow ships.
PA=$(python3 -c "import pyarrow,os;print(os.path.dirname(pyarrow.__file__))")
python3 -c "import pyarrow; pyarrow.create_library_symlinks()"
ls $PA/*.so* | head
mkdir -p /tmp/pc
printf 'Name: arrow\nDescription: pyarrow\nVersion: 25.0.1\nlibdir=%s\nLibs: -L%s -larrow\nCflags: -I%s/include\n' $PA $PA $PA > /tmp/pc/arrow.pc
printf 'Name: parquet\nDescription: pyarrow\nVersion: 25.0.1\nlibdir=%s\nLibs: -L%s -lparquet -larrow\nCflags: -I%s/include\n' $PA $PA $PA > /tmp/pc/parquet.pc
export PKG_CONFIG_PATH=/tmp/pc
# pg_strom 6.1 resets PG_CXXFLAGS after adding the pkgconf cflags, so the headers must sit on the default path.
ln -sfn $PA/include/arrow /usr/local/include/arrow; ln -sfn $PA/include/parquet /usr/local/include/parquet
pkgconf --libs parquet; pkgconf --variable=libdir parquet
t0=$(date +%s)
make -C /tmp/pg-strom-6.1/src -j16 PG_CONFIG=$PGC CUDA_PATH=/usr/local/cuda "PG_CXXFLAGS=-std=c++20 -Wno-sign-compare" with_llvm=no > $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
make -C /tmp/pg-strom-6.1/src install PG_CONFIG=$PGC CUDA_PATH=/usr/local/cuda "PG_CXXFLAGS=-std=c++20 -Wno-sign-compare" with_llvm=no >> $OUT/build.log 2>&1 || { tail -40 $OUT/build.log; exit 1; }
echo "BUILD+INSTALL seconds: $(( $(date +%s) - t0 ))"
ls -la /usr/lib/postgresql/15/lib/pg_strom.so
id pgt || useradd -m pgt
pkill -u pgt postgres; sleep 2
rm -rf /tmp/pgdata; su pgt -c "/usr/lib/postgresql/15/bin/initdb -D /tmp/pgdata -A trust" >/dev/null
cat >> /tmp/pgdata/postgresql.conf <<CONF
shared_preload_libraries = '\$libdir/pg_strom'
max_worker_processes = 100
shared_buffers = 8GB
work_mem = 256MB
unix_socket_directories = '/tmp'
jit = off
CONF
t0=$(date +%s)
su pgt -c "PATH=/usr/local/cuda/bin:\$PATH /usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pgdata -l /tmp/pg.log -w -t 600 start" || { cat /tmp/pg.log; exit 1; }
echo "FIRST START seconds: $(( $(date +%s) - t0 ))"
grep -i "PG-Strom" /tmp/pg.log | head -8
P="su pgt -c"
cat > /tmp/q.sql <<'SQL'
CREATE EXTENSION pg_strom;
SELECT att_name, att_value FROM pgstrom.gpu_device_info WHERE att_name IN ('DEV_NAME','DEV_TOTAL_MEMSZ','DEV_CC_MAJOR','DEV_CC_MINOR') ;
CREATE TABLE metrics AS SELECT (g % 1000) AS model_id, random() AS score, random() * 100 AS latency FROM generate_series(1, 20000000) g;
VACUUM ANALYZE metrics;
EXPLAIN SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id;
\timing on
SET pg_strom.enabled = on;
SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id ORDER BY 1 LIMIT 1;
SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id ORDER BY 1 LIMIT 1;
SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id ORDER BY 1 LIMIT 1;
SET pg_strom.enabled = off;
SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id ORDER BY 1 LIMIT 1;
SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id ORDER BY 1 LIMIT 1;
SELECT model_id, count(*), avg(score), max(latency) FROM metrics WHERE score > 0.2 GROUP BY model_id ORDER BY 1 LIMIT 1;
SQL
chmod 644 /tmp/q.sql
PSQL="/usr/lib/postgresql/15/bin/psql -h /tmp -d postgres -X"
# The first start compiles the GPU code in the background; GPU plans appear once it is ready.
t0=$(date +%s)
for i in $(seq 1 120); do
  grep -qiE "fatbin.*(built|success|ready)|rebuild.*(done|complet)" /tmp/pg.log && break
  su pgt -c "$PSQL -Atc \"SELECT 1\"" >/dev/null; sleep 3
  [ $((i % 10)) -eq 0 ] && tail -2 /tmp/pg.log
done
echo "GPU CODE READY after seconds: $(( $(date +%s) - t0 ))"; grep -iE "fatbin" /tmp/pg.log | tail -3 | cut -c1-200
su pgt -c "$PSQL -f /tmp/q.sql" 2>&1 | tee $OUT/queries.txt
cp /tmp/pg.log $OUT/pg.log
