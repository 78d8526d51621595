"""newsdesk: ask questions about a collection of news stories and get answers that cite them.

The package is offline by default: the embedding model, its tokenizer and the tiktoken encoding come
from installed packages, Chroma runs embedded, and with no LLM configured answers are extractive.
"""

from __future__ import annotations

import os

# Offline and telemetry switches, set before any of these libraries is imported.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "LANGCHAIN_TRACING_V2": "false",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)

__version__ = "0.1.0"

__all__ = ["__version__"]
