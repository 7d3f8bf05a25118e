"""`mlopsctl bench gpu`: the SQL it generates parses with PostgreSQL's own parser, the data is a function of the seed,
the comparison catches a differing row, and the whole script runs on a real PostgreSQL server (without pg_strom here:
no GPU on these machines, so both modes run on the CPU; the GPU run needs `--inventory` or `--dsn` on a GPU host)."""

from __future__ import annotations

import copy
from pathlib import Path

import pglast
import pytest
from conftest import psql

from mlopsctl.errors import CommandError
from mlopsctl.lab import bench_gpu

# --- pure functions -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.001, 1, 10])
def test_every_generated_statement_parses_with_postgresqls_parser(scale: float) -> None:
    statements = bench_gpu.schema_sql(scale, seed=7) + [q.sql for q in bench_gpu.queries()]
    statements += bench_gpu.mode_settings("gpu") + bench_gpu.mode_settings("cpu") + [bench_gpu.CPU_COUNT_SQL]
    for statement in statements:
        assert len(pglast.parse_sql(statement)) == 1, statement


def test_the_script_is_a_function_of_its_arguments() -> None:
    assert bench_gpu.bench_script(1, seed=3) == bench_gpu.bench_script(1, seed=3)
    assert bench_gpu.bench_script(1, seed=3) != bench_gpu.bench_script(1, seed=4)
    assert "random()" not in bench_gpu.bench_script(1, seed=3)


def test_sizes_follow_the_scale_factor_with_floors() -> None:
    assert bench_gpu.sizes(10) == bench_gpu.Sizes(fact=60_000_000, customers=300_000, suppliers=20_000, parts=2_000_000)
    assert bench_gpu.sizes(0.0001) == bench_gpu.Sizes(fact=1000, customers=100, suppliers=20, parts=200)
    with pytest.raises(ValueError, match="must be positive"):
        bench_gpu.sizes(0)


def test_both_modes_get_the_same_workers_and_only_pg_strom_differs() -> None:
    script = bench_gpu.bench_script(1, workers=16)
    assert "\\set workers 16" in script
    assert "SET max_parallel_workers_per_gather = :workers;" in script
    assert "ALTER TABLE lineorder SET (parallel_workers = :workers);" in script
    assert bench_gpu.mode_settings("gpu") == ["SET pg_strom.enabled = on"]
    assert bench_gpu.mode_settings("cpu") == ["SET pg_strom.enabled = off"]
    # Every CPU of the server when no count is given.
    assert bench_gpu.CPU_COUNT_SQL + " \\gset" in bench_gpu.bench_script(1)


def test_median_table_uses_medians_and_sums() -> None:
    table = {("q1", "cpu"): 200.0, ("q1", "gpu"): 100.0, ("q2", "cpu"): 30.0, ("q2", "gpu"): 60.0}
    assert bench_gpu.median_table(table, ["q1", "q2"]).splitlines() == [
        "| Query | CPU median (ms) | GPU median (ms) | CPU / GPU |",
        "| --- | ---: | ---: | ---: |",
        "| q1 | 200.0 | 100.0 | 2.00x |",
        "| q2 | 30.0 | 60.0 | 0.50x |",
        "| all queries | 230.0 | 160.0 | 1.44x |",
    ]


def test_plans_are_read_for_gpu_nodes_and_workers() -> None:
    # The plan lines recorded on the H100 (gpu-verification.md), and a parallel CPU plan's shape.
    gpu = ["Parallel Custom Scan (GpuPreAgg) on metrics", "  GPU Group Key: model_id", "  Scan-Engine: VFS with GPU0"]
    cpu = ["Finalize GroupAggregate", "  ->  Gather Merge", "        Workers Planned: 16"]
    assert bench_gpu.uses_gpu(gpu) and not bench_gpu.uses_gpu(cpu)
    assert bench_gpu.workers_planned(cpu) == 16 and bench_gpu.workers_planned(gpu) == 0


def test_bench_gpu_needs_exactly_one_target(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="either --inventory FILE"):
        bench_gpu.bench_gpu(None, None)
    with pytest.raises(CommandError, match="either --inventory FILE"):
        bench_gpu.bench_gpu(tmp_path / "hosts.yml", "host=x")
    with pytest.raises(CommandError, match="does not exist"):
        bench_gpu.bench_gpu(tmp_path / "hosts.yml", None)


# --- on a real PostgreSQL server ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cpu_run(local_postgres: str) -> bench_gpu.Output:
    """The real script, tiny scale, pg_strom not required (both modes on the CPU: no GPU here)."""
    execute = bench_gpu.psql_executor(local_postgres)
    return bench_gpu.run_bench(execute, scale=0.002, seed=5, runs=3, workers=2, require_pg_strom=False)


def test_the_script_runs_compares_and_drops_its_database(cpu_run: bench_gpu.Output, local_postgres: str) -> None:
    assert cpu_run.done
    assert cpu_run.info["workers"] == ["2"]
    assert any(line.startswith("lineorder=12000 rows") for line in cpu_run.info["tables"])
    # Every query ran as warm-up plus 3 timed runs in both modes, and each returned rows.
    assert len(cpu_run.runs) == len(bench_gpu.queries()) * 2 * 4
    assert all(run.rows and run.ms > 0 for run in cpu_run.runs)
    assert bench_gpu.compare_results(cpu_run) == []
    report = bench_gpu.report(cpu_run, 0.002, 5, 3)
    assert "parallel CPU workers in both modes: 2" in report and "| all queries |" in report
    assert psql(local_postgres, f"SELECT count(*) FROM pg_database WHERE datname = '{bench_gpu.SCRATCH_DB}'") == "0"


def test_the_comparison_catches_a_differing_row(cpu_run: bench_gpu.Output) -> None:
    changed = copy.deepcopy(cpu_run)
    run = next(r for r in changed.runs if r.mode == "gpu" and r.query == "q2_3dim" and r.run == 2)
    first = run.rows[0].split("|")
    run.rows[0] = "|".join([*first[:-1], str(int(first[-1]) + 1)])
    problems = bench_gpu.compare_results(changed)
    assert len(problems) == 1 and problems[0].startswith("q2_3dim gpu run 2:")


def test_the_data_is_the_same_for_a_seed_and_differs_for_another(local_postgres: str) -> None:
    checksum = (
        "SELECT md5(string_agg(lo_custkey || ',' || lo_partkey || ',' || lo_revenue, ';' ORDER BY lo_orderkey)) "
        "FROM lineorder"
    )

    def load(seed: int) -> str:
        psql(local_postgres, "DROP DATABASE IF EXISTS seeded")
        psql(local_postgres, "CREATE DATABASE seeded")
        dsn = local_postgres.replace("dbname=postgres", "dbname=seeded")
        for statement in bench_gpu.schema_sql(0.001, seed):
            psql(dsn, statement)
        return psql(dsn, checksum)

    first, again, other = load(11), load(11), load(12)
    psql(local_postgres, "DROP DATABASE seeded")
    assert first == again != other


def test_a_failing_script_still_drops_the_scratch_database(local_postgres: str) -> None:
    calls: list[str] = []
    real = bench_gpu.psql_executor(local_postgres)

    def execute(script: str) -> str:
        calls.append(script)
        # The real script with pg_strom required fails at CREATE EXTENSION on this server (no pg_strom).
        return real(script)

    with pytest.raises(CommandError, match="pg_strom"):
        bench_gpu.run_bench(execute, scale=0.001, runs=1, workers=1, require_pg_strom=True)
    assert calls[-1] == bench_gpu.CLEANUP_SCRIPT
    assert psql(local_postgres, f"SELECT count(*) FROM pg_database WHERE datname = '{bench_gpu.SCRATCH_DB}'") == "0"
