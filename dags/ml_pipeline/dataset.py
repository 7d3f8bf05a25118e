"""Datasets that ship with scikit-learn, as rows ready for PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.datasets import load_iris, load_wine


@dataclass(frozen=True)
class Dataset:
    """A labelled table: feature column names, feature rows, and one class label per row."""

    name: str
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    features: list[tuple[float, ...]]
    labels: list[str]


_LOADERS = {"iris": load_iris, "wine": load_wine}


def column_name(feature: str) -> str:
    """SQL-safe column name for a scikit-learn feature name ('sepal length (cm)' -> 'sepal_length_cm')."""
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in feature.lower())
    return "_".join(part for part in cleaned.split("_") if part)


def load(name: str) -> Dataset:
    """Loads a bundled scikit-learn dataset by name ('iris' or 'wine')."""
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(_LOADERS)}")
    bunch = _LOADERS[name]()
    classes = tuple(str(c) for c in bunch.target_names)
    return Dataset(
        name=name,
        feature_names=tuple(column_name(f) for f in bunch.feature_names),
        class_names=classes,
        features=[tuple(float(v) for v in row) for row in bunch.data],
        labels=[classes[int(t)] for t in bunch.target],
    )
