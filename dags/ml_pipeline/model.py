"""Training and evaluation: a scaled logistic regression, scored on a stratified hold-out split."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass

from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


@dataclass(frozen=True)
class TrainingResult:
    """What the pipeline records about a trained model (the model itself is described by its digest)."""

    model_class: str
    params: dict[str, float | int | str]
    n_train: int
    n_test: int
    accuracy: float
    f1_macro: float
    model_sha256: str
    model_bytes: int


def train_and_evaluate(
    features: list[tuple[float, ...]],
    labels: list[str],
    *,
    test_size: float = 0.25,
    regularization: float = 1.0,
    seed: int = 42,
) -> tuple[Pipeline, TrainingResult]:
    """Fits on a stratified split and scores on the held-out part; the same inputs give the same model."""
    if len(features) != len(labels):
        raise ValueError(f"{len(features)} feature rows but {len(labels)} labels")
    if len(set(labels)) < 2:
        raise ValueError("training needs at least two classes")
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=regularization, max_iter=1000, random_state=seed))
    model.fit(x_train, y_train)
    predicted = model.predict(x_test)
    blob = pickle.dumps(model)
    return model, TrainingResult(
        model_class="StandardScaler+LogisticRegression",
        params={"C": regularization, "test_size": test_size, "seed": seed},
        n_train=len(x_train),
        n_test=len(x_test),
        accuracy=float(accuracy_score(y_test, predicted)),
        f1_macro=float(f1_score(y_test, predicted, average="macro")),
        model_sha256=hashlib.sha256(blob).hexdigest(),
        model_bytes=len(blob),
    )


def quality_gate(result: TrainingResult, min_accuracy: float) -> None:
    """Raises when the model scores below the bar, so a bad model fails the run instead of being recorded as good."""
    if result.accuracy < min_accuracy:
        raise ValueError(
            f"accuracy {result.accuracy:.3f} is below the required {min_accuracy:.3f}; "
            "check the data load and the training parameters"
        )
