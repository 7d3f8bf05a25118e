"""The pipeline's own logic, without Airflow or a database."""

from __future__ import annotations

import pytest

from ml_pipeline import dataset, model, sql


def test_iris_rows_are_complete() -> None:
    data = dataset.load("iris")
    assert data.feature_names == ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")
    assert len(data.features) == len(data.labels) == 150
    assert {data.labels.count(c) for c in data.class_names} == {50}


def test_unknown_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        dataset.load("mnist")


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_training_beats_the_bar_and_is_reproducible(name: str) -> None:
    data = dataset.load(name)
    _, first = model.train_and_evaluate(data.features, data.labels)
    _, second = model.train_and_evaluate(data.features, data.labels)
    assert first.accuracy >= 0.9
    assert first.n_train + first.n_test == len(data.labels)
    assert first == second


def test_quality_gate_rejects_a_weak_model() -> None:
    data = dataset.load("iris")
    # Strong regularization on shuffled labels gives a model near chance level.
    shuffled = data.labels[50:] + data.labels[:50]
    _, result = model.train_and_evaluate(data.features, shuffled, regularization=1e-4)
    with pytest.raises(ValueError, match=r"below the required 0\.900"):
        model.quality_gate(result, 0.9)


def test_training_refuses_mismatched_input() -> None:
    with pytest.raises(ValueError, match="2 feature rows but 1 labels"):
        model.train_and_evaluate([(1.0,), (2.0,)], ["a"])


def test_sql_uses_one_placeholder_per_column() -> None:
    columns = dataset.load("wine").feature_names
    _, insert = sql.replace_samples("wine", columns)
    assert insert.count("%s") == len(columns) + 2
    clear, aggregate = sql.feature_stats("wine", columns)
    assert clear.startswith("DELETE") and ";" not in clear + aggregate
    assert aggregate.count("GROUP BY label") == len(columns)
    assert all(c.isidentifier() for c in columns)
