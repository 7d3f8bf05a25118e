"""What the benchmarks share: the figures `mlopsctl bench --json` writes and the lines it prints."""

from mlopsctl.lab.bench import bench_json, ratio, row


def test_bench_json_holds_the_medians_under_the_documented_keys() -> None:
    site = {
        "cold": [100.0, 90.0, 120.0],
        "floor": [70.0, 80.0, 60.0],
        "noop": [9.0, 8.0, 30.0],
        "noop_changed": [0, 0, 0],
    }
    dags = {
        "deploy": [5.0, 7.0, 6.0],
        "rerun": [2.0, 2.5, 9.0],
        "by_hand": [4.0, 3.0, 5.0],
        "pickup": [10.0, 200.0, 150.0, 30.0, 290.0],
    }
    assert bench_json(site, dags) == {
        "site_cold_s": 100.0,
        "site_floor_s": 70.0,
        "site_noop_s": 9.0,
        "site_noop_changed": 0,
        "dags_deploy_new_s": 6.0,
        "dags_deploy_noop_s": 2.5,
        "dags_by_hand_floor_s": 4.0,
        "dags_airflow_pickup_s": 150.0,
    }
    # A re-run that changed something on any run is reported, not averaged away.
    assert bench_json({**site, "noop_changed": [0, 3, 0]}, None)["site_noop_changed"] == 3


def test_a_row_is_the_median_with_its_spread() -> None:
    assert row("cold converge", [100.0, 90.0, 120.0], 20) == (
        "  cold converge        median  100.0 s  (min 90.0, max 120.0, 3 runs)"
    )


def test_a_ratio_is_of_the_medians_measured_in_the_same_run() -> None:
    assert ratio([6.0, 7.0, 5.0], [4.0, 3.0, 5.0]) == 1.5
