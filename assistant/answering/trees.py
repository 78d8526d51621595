"""A boosted-trees scorer read from JSON: gradient-boosted decision trees (as LightGBM trains them, for
binary classification) evaluated with numpy, so answering needs no LightGBM.

The file (written by a training script in ``benchmarks/``) holds the feature names, the threshold, the
figures it was chosen by, and the trees as flat arrays: per node the feature it splits on (-1 at a
leaf), the split value (a row goes left when its value is at most that), the left and right child,
and the leaf value. A leaf's children are itself, so every row can take the same number of steps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError

__all__ = ["TreeModel", "load_trees", "flatten_lightgbm"]


@dataclass(frozen=True)
class TreeModel:
    features: tuple[str, ...]
    split_feature: np.ndarray  # (trees, nodes) int: -1 at a leaf
    split_value: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    value: np.ndarray  # (trees, nodes) float: a leaf's output, 0 elsewhere
    depth: int
    threshold: float

    def probabilities(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        """The model's probability for each row of features (by name; a missing one counts 0)."""
        x = np.asarray([[r.get(name, 0.0) for name in self.features] for r in rows], dtype=np.float64)
        if not len(x):
            return np.zeros(0)
        trees = np.arange(self.split_feature.shape[0])[:, None]
        row_index = np.arange(len(x))[None, :]
        node = np.zeros((self.split_feature.shape[0], len(x)), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.split_feature[trees, node]
            values = x[row_index, np.maximum(feature, 0)]
            step = np.where(values <= self.split_value[trees, node], self.left[trees, node], self.right[trees, node])
            node = np.where(feature < 0, node, step)
        z = self.value[trees, node].sum(axis=0)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))  # type: ignore[no-any-return]

    def probability(self, values: dict[str, float]) -> float:
        return float(self.probabilities([values])[0])


_ARRAYS = ("split_feature", "split_value", "left", "right", "value")


def flatten_lightgbm(dump: dict[str, Any]) -> dict[str, Any]:
    """LightGBM's ``Booster.dump_model()`` as the flat arrays this module reads (one list per tree)."""
    arrays: dict[str, list[list[float]]] = {k: [] for k in _ARRAYS}
    depth = 0
    for tree in dump["tree_info"]:
        rows: dict[str, list[float]] = {k: [] for k in _ARRAYS}
        depth = max(depth, _add_node(rows, tree["tree_structure"], 0))
        for k in _ARRAYS:
            arrays[k].append(rows[k])
    return {**arrays, "depth": depth}


def _add_node(rows: dict[str, list[float]], node: dict[str, Any], level: int) -> int:
    """Append ``node`` and what is below it to ``rows``; returns the depth of its deepest leaf."""
    i = len(rows["value"])
    for k in _ARRAYS:
        rows[k].append(0)
    if "split_feature" not in node:  # a leaf (or a tree that never split)
        rows["split_feature"][i], rows["left"][i], rows["right"][i] = -1, i, i
        rows["value"][i] = float(node.get("leaf_value", 0.0))
        return level
    if node.get("decision_type", "<=") != "<=" or node.get("missing_type", "None") != "None":
        # a categorical split, or one that sends missing values its own way: our features are never missing
        raise ValueError(f"unsupported split {node.get('decision_type')!r}, missing {node.get('missing_type')!r}")
    rows["split_feature"][i], rows["split_value"][i] = int(node["split_feature"]), float(node["threshold"])
    rows["left"][i] = len(rows["value"])
    deepest = _add_node(rows, node["left_child"], level + 1)
    rows["right"][i] = len(rows["value"])
    return max(deepest, _add_node(rows, node["right_child"], level + 1))


def load_trees(path: Path, features: tuple[str, ...], what: str) -> TreeModel:
    """The model in ``path``; a missing or broken file, or one for other features, is a
    :class:`ConfigError` naming ``what`` it is."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != features:
            raise ValueError("it was trained on other features")
        model = _model(features, data["trees"], float(data["threshold"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ConfigError(f"the {what} model {path} is missing or broken ({exc}); reinstall newsdesk") from exc
    return model


def _model(features: tuple[str, ...], trees: dict[str, Any], threshold: float) -> TreeModel:
    """The arrays of ``trees`` padded to one width, checked: every tree in every array, each split on a
    known feature, each child a node of its tree, and every row reaching a leaf in ``depth`` steps."""
    sizes = [len(t) for t in trees["value"]]
    if not sizes or any([len(t) for t in trees[k]] != sizes for k in _ARRAYS):
        raise ValueError("its tree arrays disagree")
    width = max(sizes)

    def padded(key: str, dtype: type) -> np.ndarray:
        out: np.ndarray = np.zeros((len(sizes), width), dtype=dtype)
        for i, row in enumerate(trees[key]):
            out[i, : len(row)] = row
        return out

    model = TreeModel(features, padded("split_feature", np.int64), padded("split_value", np.float64),
                      padded("left", np.int64), padded("right", np.int64), padded("value", np.float64),
                      int(trees["depth"]), threshold)
    for t in range(len(sizes)):
        _check_tree([int(v) for v in trees["split_feature"][t]], [int(v) for v in trees["left"][t]],
                    [int(v) for v in trees["right"][t]], len(features), model.depth)
    return model


def _check_tree(feature: list[int], left: list[int], right: list[int], n_features: int, depth: int) -> None:
    """One tree's nodes are well formed: a split names a known feature and points forward to nodes of the
    tree (so there is no cycle), a leaf to itself, and no leaf is deeper than ``depth``."""
    level = [0] * len(feature)
    for i, f in enumerate(feature):
        if f < 0:
            if left[i] != i or right[i] != i:
                raise ValueError("a leaf that points elsewhere")
            if level[i] > depth:
                raise ValueError(f"a tree is deeper than its depth {depth}")
            continue
        if f >= n_features or not (i < left[i] < len(feature) and i < right[i] < len(feature)):
            raise ValueError("a split or child is out of range")
        level[left[i]] = level[right[i]] = level[i] + 1
