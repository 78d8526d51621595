"""The short-answer scorer's trees: read from JSON and evaluated with numpy, they must give what LightGBM
itself gives for the same model; the shipped model must be one for today's candidate features."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.candidates import FEATURES
from assistant.answering.short_answer import MODEL_PATH, load_scorer
from assistant.answering.trees import flatten_lightgbm, load_trees
from assistant.errors import ConfigError

lightgbm = pytest.importorskip("lightgbm")


def _model_file(tmp_path: Path, booster: object, names: tuple[str, ...]) -> Path:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"features": list(names), "threshold": 0.3,
                                "trees": flatten_lightgbm(booster.dump_model())}))  # type: ignore[attr-defined]
    return path


def test_numpy_trees_match_lightgbm(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((2000, 4))
    x[:, 3] = (x[:, 3] > 0.5).astype(float)  # a 0/1 feature, as many of ours are
    y = ((x[:, 0] + 0.5 * x[:, 1] * x[:, 3] + 0.1 * rng.standard_normal(2000)) > 0.7).astype(float)
    params = {"objective": "binary", "num_leaves": 7, "learning_rate": 0.1, "min_data_in_leaf": 20, "verbose": -1}
    booster = lightgbm.train(params, lightgbm.Dataset(x, y), 30)
    names = ("a", "b", "c", "d")
    model = load_trees(_model_file(tmp_path, booster, names), names, "test")

    probe = rng.random((300, 4))
    probe[:, 3] = (probe[:, 3] > 0.5).astype(float)
    probe[:5] = 0.0  # the edges: every feature at a split's lower end
    rows = [dict(zip(names, row, strict=True)) for row in probe]
    assert np.allclose(model.probabilities(rows), booster.predict(probe), atol=1e-9)
    assert model.probability(rows[7]) == pytest.approx(float(booster.predict(probe[7:8])[0]), abs=1e-9)
    assert model.threshold == 0.3 and len(model.probabilities([])) == 0


def test_a_model_for_other_features_or_a_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    x = np.random.default_rng(1).random((200, 2))
    booster = lightgbm.train({"objective": "binary", "verbose": -1, "min_data_in_leaf": 5},
                             lightgbm.Dataset(x, (x[:, 0] > 0.5).astype(float)), 3)
    path = _model_file(tmp_path, booster, ("a", "b"))
    with pytest.raises(ConfigError, match="short-answer model .* other features"):
        load_trees(path, ("a", "c"), "short-answer")
    good = json.loads(path.read_text())
    for damage in ("child", "depth", "short"):
        data = json.loads(json.dumps(good))
        trees = data["trees"]
        if damage == "child":  # a split pointing past its tree
            t = next(i for i, row in enumerate(trees["split_feature"]) if row[0] >= 0)
            trees["left"][t][0] = 99
        elif damage == "depth":
            trees["depth"] = 0
        else:
            trees["value"][0] = trees["value"][0][:-1]
        path.write_text(json.dumps(data))
        with pytest.raises(ConfigError, match="missing or broken"):
            load_trees(path, ("a", "b"), "short-answer")
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="missing or broken"):
        load_trees(path, ("a", "b"), "short-answer")


def test_the_shipped_scorer_reads_todays_features() -> None:
    scorer = load_scorer()
    assert scorer.features == FEATURES and 0 < scorer.threshold < 1
    data = json.loads(MODEL_PATH.read_text())
    assert data["trained_on"]["questions"].endswith("2023.jsonl")  # never the 2024 questions we report on
    assert 0.0 < scorer.probability({"bias": 1.0, "type_match": 1.0, "support": 0.9, "title": 1.0}) < 1.0
