"""The bundled models load and behave like the originals, with no network."""

from __future__ import annotations

import numpy as np

from assistant.index.embeddings import LocalMiniLM
from assistant.index.tokens import count_tokens, get_encoding


def test_cl100k_token_ids_match_tiktoken() -> None:
    enc = get_encoding("cl100k_base")
    assert enc.encode("hello world") == [15339, 1917]
    assert enc.decode(enc.encode("Tykhyi said “occupation”.")) == "Tykhyi said “occupation”."
    assert count_tokens("hello world") == 2


def test_embeddings_are_unit_vectors_and_semantic(embedder: LocalMiniLM) -> None:
    vectors = embedder.embed_array([
        "Ukraine does not want to occupy Russian territory",
        "Kyiv denies any intent to seize land in Russia",
        "A recipe for chocolate cake with butter and sugar",
    ])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.5 > sims[0, 2] + 0.3


def test_batching_does_not_change_vectors(embedder: LocalMiniLM) -> None:
    texts = ["short", "a somewhat longer sentence about the Kursk region " * 5, "medium length text here"]
    together = embedder.embed_array(texts)
    alone = np.stack([embedder.embed_array([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert np.allclose(embedder.embed_query("short"), together[0], atol=1e-5)
