"""`mlopsctl bench gpu`: star-join aggregates with pg_strom on and off, the same CPU workers both ways.

Everything runs as one psql script on the server side: a scratch database gets a star schema (a fact table and four
dimensions) generated from a seed, then each query runs in both modes, interleaved, with psql's `\\timing`; the
script's output is parsed here, the two modes' results are compared row for row, and the medians are tabulated.
The script runs either through a local `psql` against a DSN or on the inventory's db host through Ansible (psql
over the local socket as the postgres user). The scratch database is dropped in every case.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlopsctl.errors import CommandError
from mlopsctl.playbook import ansible_tool

SCRATCH_DB = "mlops_bench_gpu"
MODES = ("gpu", "cpu")
# SSB-like sizes at scale factor 1; the dimensions never shrink below a floor, so tiny factors still join.
FACT_ROWS_PER_SF = 6_000_000
CUSTOMERS_PER_SF = 30_000
SUPPLIERS_PER_SF = 2_000
PARTS_PER_SF = 200_000
DATE_DAYS = 2557  # 1992-01-01 .. 1998-12-31
MARKER = "@@bench"


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    sql: str


@dataclass(frozen=True)
class Sizes:
    fact: int
    customers: int
    suppliers: int
    parts: int


def sizes(scale: float) -> Sizes:
    """Row counts of the star schema for a scale factor (SSB's proportions; 1 = 6 million fact rows)."""
    if scale <= 0:
        raise ValueError(f"scale factor must be positive, got {scale}")
    return Sizes(
        fact=max(1000, round(FACT_ROWS_PER_SF * scale)),
        customers=max(100, round(CUSTOMERS_PER_SF * scale)),
        suppliers=max(20, round(SUPPLIERS_PER_SF * scale)),
        parts=max(200, round(PARTS_PER_SF * scale)),
    )


def schema_sql(scale: float, seed: int) -> list[str]:
    """Statements that create and fill the star schema; the same scale and seed always give the same rows.

    Values come from an integer hash of (row number, column, seed), not random(), so they are reproducible on any
    server and version."""
    n = sizes(scale)
    # Two rounds of a 31-bit linear congruential step: plain bigint arithmetic, no overflow below ~4e9 rows.
    rand = (
        "CREATE FUNCTION bench_rand(i bigint, k integer) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
        f"$$ SELECT ((((i * 1103515245 + k * 12345 + {int(seed)}) % 2147483648) * 1103515245 + 12345) "
        "% 2147483648) $$"
    )
    return [
        rand,
        "CREATE TABLE date_dim (d_datekey integer PRIMARY KEY, d_date date NOT NULL, d_year integer NOT NULL, "
        "d_month integer NOT NULL)",
        f"INSERT INTO date_dim SELECT d, date '1992-01-01' + d, extract(year FROM date '1992-01-01' + d)::integer, "
        f"extract(month FROM date '1992-01-01' + d)::integer FROM generate_series(0, {DATE_DAYS - 1}) AS d",
        "CREATE TABLE customer (c_custkey integer PRIMARY KEY, c_nation integer NOT NULL, c_region integer NOT NULL, "
        "c_segment integer NOT NULL)",
        f"INSERT INTO customer SELECT i, bench_rand(i, 1) % 25, (bench_rand(i, 1) % 25) / 5, bench_rand(i, 2) % 5 "
        f"FROM generate_series(1, {n.customers}) AS i",
        "CREATE TABLE supplier (s_suppkey integer PRIMARY KEY, s_nation integer NOT NULL, s_region integer NOT NULL)",
        f"INSERT INTO supplier SELECT i, bench_rand(i, 3) % 25, (bench_rand(i, 3) % 25) / 5 "
        f"FROM generate_series(1, {n.suppliers}) AS i",
        "CREATE TABLE part (p_partkey integer PRIMARY KEY, p_category integer NOT NULL, p_brand integer NOT NULL)",
        f"INSERT INTO part SELECT i, bench_rand(i, 4) % 25, (bench_rand(i, 4) % 25) * 40 + bench_rand(i, 5) % 40 "
        f"FROM generate_series(1, {n.parts}) AS i",
        "CREATE TABLE lineorder (lo_orderkey bigint NOT NULL, lo_custkey integer NOT NULL, "
        "lo_partkey integer NOT NULL, lo_suppkey integer NOT NULL, lo_orderdate integer NOT NULL, "
        "lo_quantity integer NOT NULL, lo_extendedprice bigint NOT NULL, lo_discount integer NOT NULL, "
        "lo_revenue bigint NOT NULL, lo_supplycost bigint NOT NULL)",
        "INSERT INTO lineorder SELECT i, "
        f"1 + bench_rand(i, 11) % {n.customers}, 1 + bench_rand(i, 12) % {n.parts}, "
        f"1 + bench_rand(i, 13) % {n.suppliers}, bench_rand(i, 14) % {DATE_DAYS}, "
        "1 + bench_rand(i, 15) % 50, 100 + bench_rand(i, 16) % 100000, bench_rand(i, 17) % 11, "
        "(100 + bench_rand(i, 16) % 100000) * (100 - bench_rand(i, 17) % 11) / 100, "
        "60 + bench_rand(i, 18) % 60000 "
        f"FROM generate_series(1, {n.fact}) AS i",
        "VACUUM ANALYZE date_dim, customer, supplier, part, lineorder",
    ]


def queries() -> list[Query]:
    """Star-join aggregates in the style of the Star Schema Benchmark; integer sums, so both modes must agree
    exactly, ordered by their group keys so the rows compare one to one."""
    return [
        Query(
            "q1_1dim",
            "fact x date: revenue of small discounted orders in one year",
            "SELECT sum(lo_extendedprice * lo_discount) AS revenue, count(*) AS n FROM lineorder "
            "JOIN date_dim ON lo_orderdate = d_datekey "
            "WHERE d_year = 1993 AND lo_discount BETWEEN 1 AND 3 AND lo_quantity < 25",
        ),
        Query(
            "q2_3dim",
            "fact x date x part x supplier: revenue by year and brand for one category and region",
            "SELECT d_year, p_brand, sum(lo_revenue) AS revenue, count(*) AS n FROM lineorder "
            "JOIN date_dim ON lo_orderdate = d_datekey JOIN part ON lo_partkey = p_partkey "
            "JOIN supplier ON lo_suppkey = s_suppkey WHERE p_category = 12 AND s_region = 1 "
            "GROUP BY d_year, p_brand ORDER BY d_year, p_brand",
        ),
        Query(
            "q3_3dim",
            "fact x date x customer x supplier: revenue by customer nation, supplier nation and year",
            "SELECT c_nation, s_nation, d_year, sum(lo_revenue) AS revenue FROM lineorder "
            "JOIN date_dim ON lo_orderdate = d_datekey JOIN customer ON lo_custkey = c_custkey "
            "JOIN supplier ON lo_suppkey = s_suppkey WHERE c_region = 2 AND s_region = 2 "
            "AND d_year BETWEEN 1992 AND 1997 GROUP BY c_nation, s_nation, d_year ORDER BY c_nation, s_nation, d_year",
        ),
        Query(
            "q4_4dim",
            "fact x all four dimensions: profit by year and customer nation",
            "SELECT d_year, c_nation, sum(lo_revenue - lo_supplycost) AS profit, count(*) AS n FROM lineorder "
            "JOIN date_dim ON lo_orderdate = d_datekey JOIN customer ON lo_custkey = c_custkey "
            "JOIN supplier ON lo_suppkey = s_suppkey JOIN part ON lo_partkey = p_partkey "
            "WHERE c_region = 1 AND s_region = 1 AND p_category IN (1, 2) "
            "GROUP BY d_year, c_nation ORDER BY d_year, c_nation",
        ),
    ]


def mode_settings(mode: str) -> list[str]:
    """What differs between the two modes: only pg_strom.enabled (a placeholder setting where pg_strom is absent)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    return [f"SET pg_strom.enabled = {'on' if mode == 'gpu' else 'off'}"]


# Counts the server's CPUs (superuser: pg_read_file); on any Linux server.
CPU_COUNT_SQL = r"SELECT count(*) AS workers FROM regexp_matches(pg_read_file('/proc/cpuinfo'), '^processor\s', 'gn')"


def bench_script(
    scale: float,
    seed: int = 1,
    runs: int = 5,
    workers: int | None = None,
    require_pg_strom: bool = True,
) -> str:
    """The whole benchmark as one psql script (run as a superuser in any existing database).

    `workers`: parallel CPU workers for both modes; None means every CPU of the server. Each query first runs once
    per mode as a warm-up (reported as run 0), then `runs` times per mode, the modes interleaved."""
    if runs < 1:
        raise ValueError(f"runs must be 1 or more, got {runs}")
    lines = [
        "\\set ON_ERROR_STOP on",
        "\\set QUIET on",
        "\\pset pager off",
        "\\pset format unaligned",
        "\\pset tuples_only on",
        "\\pset fieldsep '|'",
        "\\pset null '<null>'",
        "\\set home_db :DBNAME",
        f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE);",
        f"CREATE DATABASE {SCRATCH_DB};",
        f"\\c {SCRATCH_DB}",
        "\\set QUIET on",
    ]
    if require_pg_strom:
        lines.append("CREATE EXTENSION pg_strom;")
    lines += [f"{s};" for s in schema_sql(scale, seed)]
    lines.append(f"{CPU_COUNT_SQL} \\gset" if workers is None else f"\\set workers {int(workers)}")
    lines += [
        "ALTER TABLE lineorder SET (parallel_workers = :workers);",
        "SET max_parallel_workers_per_gather = :workers;",
        "SET max_parallel_workers = :workers;",
        f"\\echo {MARKER} info workers :workers",
        f"\\echo {MARKER} info server",
        "SELECT version();",
        f"\\echo {MARKER} info settings",
        "SELECT name || '=' || setting || coalesce(unit, '') FROM pg_settings WHERE name IN ('shared_buffers', "
        "'work_mem', 'max_worker_processes', 'max_parallel_workers', 'max_parallel_workers_per_gather', 'jit') "
        "ORDER BY name;",
        f"\\echo {MARKER} info tables",
        "SELECT relname || '=' || reltuples::bigint || ' rows, ' || pg_size_pretty(pg_total_relation_size(oid)) "
        "FROM pg_class WHERE relname IN ('lineorder', 'date_dim', 'customer', 'supplier', 'part') ORDER BY relname;",
    ]
    if require_pg_strom:
        lines += [
            f"\\echo {MARKER} info pg_strom",
            "SELECT extversion FROM pg_extension WHERE extname = 'pg_strom';",
            f"\\echo {MARKER} info gpu",
            "SELECT t::text FROM pgstrom.gpu_device_info AS t WHERE t::text ILIKE '%name%';",
        ]
    for query in queries():
        for mode in MODES:
            lines += [f"{s};" for s in mode_settings(mode)]
            lines += [f"\\echo {MARKER} plan {mode} {query.name}", f"EXPLAIN (COSTS OFF) {query.sql};"]
    lines.append("\\timing on")
    for run in range(runs + 1):
        for query in queries():
            for mode in MODES:
                lines += [f"{s};" for s in mode_settings(mode)]
                lines += [f"\\echo {MARKER} run {mode} {query.name} {run}", f"{query.sql};"]
    lines += ["\\timing off", "\\c :home_db", f"DROP DATABASE {SCRATCH_DB};", f"\\echo {MARKER} done"]
    return "\n".join(lines) + "\n"


CLEANUP_SCRIPT = f"\\set ON_ERROR_STOP on\nDROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE);\n"


@dataclass
class Run:
    mode: str
    query: str
    run: int
    ms: float
    rows: list[str]


@dataclass
class Output:
    """What the script printed: settings and sizes (info), plans per mode and query, and every timed run."""

    info: dict[str, list[str]] = field(default_factory=dict)
    plans: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    done: bool = False


TIME = re.compile(r"^Time: ([0-9]+(?:\.[0-9]+)?) ms")


def parse_output(text: str) -> Output:
    """Splits the script's output at its markers; a run's rows end at psql's `Time:` line."""
    out = Output()
    section: list[str] | None = None
    pending: Run | None = None
    for line in text.splitlines():
        if line.startswith(MARKER + " "):
            pending = None
            parts = line.split()
            kind = parts[1]
            if kind == "info":
                key = parts[2]
                if key == "workers":
                    out.info["workers"] = [parts[3]]
                    section = None
                else:
                    section = out.info.setdefault(key, [])
            elif kind == "plan":
                section = out.plans.setdefault((parts[2], parts[3]), [])
            elif kind == "run":
                pending = Run(mode=parts[2], query=parts[3], run=int(parts[4]), ms=0.0, rows=[])
                section = pending.rows
            elif kind == "done":
                out.done = True
                section = None
            continue
        match = TIME.match(line)
        if match:
            if pending is not None:
                pending.ms = float(match.group(1))
                out.runs.append(pending)
                pending = None
            section = None
            continue
        if section is not None and line.strip():
            section.append(line.rstrip())
    return out


def compare_results(output: Output) -> list[str]:
    """Every run of a query, in both modes, must return exactly the rows of the first CPU run; lists differences."""
    problems = []
    reference = {r.query: r for r in output.runs if r.mode == "cpu" and r.run == 0}
    for run in output.runs:
        expected = reference.get(run.query)
        if expected is None:
            problems.append(f"{run.query}: no CPU reference run")
            continue
        if run.rows != expected.rows:
            missing = [row for row in expected.rows if row not in run.rows]
            extra = [row for row in run.rows if row not in expected.rows]
            problems.append(
                f"{run.query} {run.mode} run {run.run}: {len(run.rows)} rows vs {len(expected.rows)} on the CPU; "
                f"first differing: expected {missing[:1] or expected.rows[:1]}, got {extra[:1] or run.rows[:1]}"
            )
    return problems


def medians(output: Output) -> dict[tuple[str, str], float]:
    """Median time in ms per (query, mode), warm-up runs (run 0) left out."""
    times: dict[tuple[str, str], list[float]] = {}
    for run in output.runs:
        if run.run > 0:
            times.setdefault((run.query, run.mode), []).append(run.ms)
    return {key: statistics.median(values) for key, values in times.items()}


def uses_gpu(plan: Sequence[str]) -> bool:
    return any(re.search(r"\bGpu(Scan|Join|PreAgg)\b", line) for line in plan)


def workers_planned(plan: Sequence[str]) -> int:
    """Parallel workers the plan asks for (0 for a serial plan)."""
    found = [int(m.group(1)) for line in plan if (m := re.search(r"Workers Planned: (\d+)", line))]
    return max(found, default=0)


def median_table(table: dict[tuple[str, str], float], names: Sequence[str]) -> str:
    """Markdown table: per query the CPU and GPU medians and CPU/GPU; a last row with the sums."""
    lines = ["| Query | CPU median (ms) | GPU median (ms) | CPU / GPU |", "| --- | ---: | ---: | ---: |"]
    total_cpu = total_gpu = 0.0
    for name in names:
        cpu, gpu = table[(name, "cpu")], table[(name, "gpu")]
        total_cpu, total_gpu = total_cpu + cpu, total_gpu + gpu
        lines.append(f"| {name} | {cpu:.1f} | {gpu:.1f} | {cpu / gpu:.2f}x |")
    lines.append(f"| all queries | {total_cpu:.1f} | {total_gpu:.1f} | {total_cpu / total_gpu:.2f}x |")
    return "\n".join(lines)


def report(output: Output, scale: float, seed: int, runs: int) -> str:
    """The printed result: conditions first (so the figures are never quoted without them), then the medians."""
    names = [q.name for q in queries()]
    n = sizes(scale)
    lines = [
        f"bench gpu: scale factor {scale} (seed {seed}): lineorder {n.fact:,} rows, customer {n.customers:,}, "
        f"supplier {n.suppliers:,}, part {n.parts:,}, date_dim {DATE_DAYS}",
        f"parallel CPU workers in both modes: {output.info.get('workers', ['?'])[0]}; "
        f"{runs} timed runs per query and mode after one warm-up, medians",
    ]
    for key in ("server", "pg_strom", "gpu", "settings", "tables"):
        for value in output.info.get(key, []):
            lines.append(f"  {key}: {value}")
    for name in names:
        gpu_plan = output.plans.get(("gpu", name), [])
        engine = next((line.strip() for line in gpu_plan if "Scan-Engine" in line), "")
        cpu_plan = output.plans.get(("cpu", name), [])
        lines.append(
            f"  plan {name}: pg_strom on -> {'GPU' if uses_gpu(gpu_plan) else 'NO GPU NODE'}"
            f"{' (' + engine + ')' if engine else ''}, {workers_planned(gpu_plan)} workers planned; "
            f"pg_strom off -> {'GPU?!' if uses_gpu(cpu_plan) else 'CPU'}, {workers_planned(cpu_plan)} workers planned"
        )
    lines += ["", median_table(medians(output), names)]
    return "\n".join(lines)


Executor = Callable[[str], str]
# psql prints `Time: 12.345 ms` only in the C locale (elsewhere it translates the word and may use a decimal comma).
PSQL_LOCALE = "C.UTF-8"


def psql_executor(dsn: str, psql: str = "psql") -> Executor:
    """Runs a script with a local psql against a DSN (a superuser's, on a server with pg_strom)."""

    def execute(script: str) -> str:
        result = subprocess.run(
            [psql, "-X", "-d", dsn, "-f", "-"],
            input=script,
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": PSQL_LOCALE},
            check=False,
        )
        if result.returncode != 0:
            raise CommandError(f"psql failed (exit {result.returncode}): {result.stderr.strip()[-1500:]}")
        return result.stdout

    return execute


def inventory_executor(inventory: Path, pattern: str = "db[0]") -> Executor:
    """Runs a script with psql on the inventory's first db host, as the postgres user over the local socket."""

    def execute(script: str) -> str:
        args = {"argv": ["env", f"LC_ALL={PSQL_LOCALE}", "psql", "-X", "-d", "postgres", "-f", "-"], "stdin": script}
        env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}
        cmd = [ansible_tool("ansible"), "-i", str(inventory), pattern, "-b"]
        cmd += ["--become-user", "postgres", "-m", "ansible.builtin.command", "-a", json.dumps(args)]
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        try:
            hosts = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]
            answer = next(iter(hosts.values()))
        except (ValueError, KeyError, IndexError, StopIteration) as exc:
            raise CommandError(
                f"ansible on {pattern} of {inventory} gave no answer (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-1500:]}"
            ) from exc
        if answer.get("rc", 1) != 0 or answer.get("failed"):
            raise CommandError(
                f"psql on the db host failed: {(answer.get('stderr') or answer.get('msg', '')).strip()[-1500:]}"
            )
        return str(answer.get("stdout", ""))

    return execute


def run_bench(
    execute: Executor,
    scale: float,
    seed: int = 1,
    runs: int = 5,
    workers: int | None = None,
    require_pg_strom: bool = True,
) -> Output:
    """Runs the script, always drops the scratch database, and refuses results that differ between the modes."""
    try:
        output = parse_output(execute(bench_script(scale, seed, runs, workers, require_pg_strom)))
    finally:
        execute(CLEANUP_SCRIPT)
    if not output.done:
        raise CommandError("the benchmark script ended early; its output has no completion marker")
    problems = compare_results(output)
    if problems:
        raise CommandError("pg_strom on and off returned different results:\n  " + "\n  ".join(problems))
    return output


def bench_gpu(
    inventory: Path | None,
    dsn: str | None,
    scale: float = 1.0,
    seed: int = 1,
    runs: int = 5,
    workers: int | None = None,
) -> str:
    """What `mlopsctl bench gpu` does: exactly one of an inventory (its first db host) or a DSN; returns the report."""
    if (inventory is None) == (dsn is None):
        raise CommandError(
            "bench gpu: give either --inventory FILE (its db host) or --dsn DSN (a server with pg_strom)"
        )
    if inventory is not None and not inventory.is_file():
        raise CommandError(f"bench gpu: inventory {inventory} does not exist")
    execute = inventory_executor(inventory) if inventory is not None else psql_executor(str(dsn))
    output = run_bench(execute, scale, seed, runs, workers, require_pg_strom=True)
    return report(output, scale, seed, runs)
