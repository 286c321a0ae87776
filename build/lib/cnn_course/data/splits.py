"""The one way the course splits a dataset: stratified, and the same for the same seed.

Every class keeps its share in every part, so a held-out split of CIFAR-10 has 10% of
each class and a carved test folder has as many cats as dogs. scikit-learn does the work.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def stratified_parts(labels: np.ndarray, fractions: Mapping[str, float], seed: int = 0) -> dict[str, np.ndarray]:
    """Indices of each named part, e.g. ``{"train": 0.8, "validation": 0.1, "test": 0.1}``.

    The fractions must add up to 1; the last part takes what is left. Each part is sorted,
    so the order of the data within a part is kept."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels).ravel()
    names = list(fractions)
    if not names or abs(sum(fractions.values()) - 1) > 1e-9 or min(fractions.values()) <= 0:
        raise ValueError(f"fractions must be positive and add up to 1, got {dict(fractions)}")
    parts, rest, left = {}, np.arange(len(labels)), 1.0
    for name in names[:-1]:
        share = fractions[name] / left
        taken, rest = train_test_split(rest, train_size=share, stratify=labels[rest], random_state=seed)
        parts[name] = np.sort(taken)
        left -= fractions[name]
    parts[names[-1]] = np.sort(rest)
    return parts


def stratified_split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int = 0):
    """``(x_train, y_train), (x_test, y_test)`` with ``test_fraction`` of every class held out."""
    parts = stratified_parts(y, {"train": 1 - test_fraction, "test": test_fraction}, seed)
    return (x[parts["train"]], y[parts["train"]]), (x[parts["test"]], y[parts["test"]])
