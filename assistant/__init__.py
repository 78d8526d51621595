"""newsdesk: ask questions about a collection of news stories and get answers that cite them.

The package is offline by default: the embedding model, its tokenizer and the tiktoken encoding come
from installed packages, Chroma runs embedded, and with no LLM configured answers are extractive.
"""

from __future__ import annotations

import os

# Offline switches, set before any of these libraries is imported (a user may override them).
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "LANGCHAIN_TRACING_V2": "false",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

# Telemetry switches, always off. onnxruntime's native telemetry reads ORT_DISABLE_TELEMETRY when its
# environment is created; without it, it keeps a store under ~/.cache/Microsoft and resolves
# Microsoft's collector host. Chroma (ANONYMIZED_TELEMETRY) and Gradio (analytics) have their own.
for _key, _value in {
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}.items():
    os.environ[_key] = _value

__version__ = "0.1.0"

__all__ = ["__version__"]
