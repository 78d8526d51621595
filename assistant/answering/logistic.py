"""The learned scorers' shared form: a logistic regression read from a JSON file beside its module
(weights by feature name, a threshold, and the figures it was chosen by), written by a training script
in ``benchmarks/``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

__all__ = ["LogisticModel", "load_logistic"]


@dataclass(frozen=True)
class LogisticModel:
    features: tuple[str, ...]
    weights: dict[str, float]
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        z = sum(self.weights.get(name, 0.0) * values.get(name, 0.0) for name in self.features)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def load_logistic(path: Path, features: tuple[str, ...], what: str) -> LogisticModel:
    """The model in ``path``; a missing or broken file is a :class:`ConfigError` naming ``what`` it is."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LogisticModel(features, {k: float(v) for k, v in data["weights"].items()}, float(data["threshold"]))
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"the {what} model {path} is missing or broken ({exc}); reinstall newsdesk") from exc
