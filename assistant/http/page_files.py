"""The chat page takes only files that the browser uploaded to it.

Every Gradio event carries its inputs as JSON, and any input may hold a file object
(``{"path": ..., "meta": {"_type": "gradio.FileData"}}``) naming a path on the server. Gradio copies such
a file into its cache before the handler runs, and a copy in the cache is served by ``/gradio_api/file=``.
Gradio refuses paths that were not uploaded only once ``launch()`` has run; the page is mounted with
``gr.mount_gradio_app`` instead, so without this module any path on the server could be copied, served
and ingested (issue 27).

A path is taken only when Gradio's upload route handed it out (``Blocks.upload_file_set``) *and* it lies,
symlinks and ``..`` resolved, inside Gradio's upload folder (``GRADIO_TEMP_DIR``, else ``<tmp>/gradio``).
The first test touches no file, so a refused path costs no file-system call and its answer, one
message for every refusal, says nothing about whether it exists. URLs are refused too: the page never
fetches anything on a visitor's behalf.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import utils as gradio_utils
from gradio.block_function import BlockFunction
from gradio.state_holder import SessionState

__all__ = ["REFUSED", "UploadsOnlyBlocks", "is_uploaded", "file_paths"]

REFUSED = "Only files uploaded through this page can be added."


def upload_folder() -> Path:
    """Where Gradio's upload route writes (read as Gradio reads it), symlinks resolved."""
    return Path(gradio_utils.get_upload_folder()).resolve()


def is_uploaded(path: str, uploaded: Collection[str]) -> bool:
    """Whether ``path`` is a file the browser uploaded: handed out by the upload route, and inside the
    upload folder once resolved."""
    if path not in uploaded:
        return False
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return False
    folder = upload_folder()
    return resolved != folder and resolved.is_relative_to(folder)


def file_paths(value: Any) -> list[Any]:
    """The ``path`` of every file object anywhere in an event's input, as the client sent it (any type)."""
    if isinstance(value, dict):
        found = [value["path"]] if "path" in value else []
        return found + [p for k, v in value.items() if k != "path" for p in file_paths(v)]
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in file_paths(v)]
    return []


class UploadsOnlyBlocks(gr.Blocks):
    """``gr.Blocks`` that refuses, before Gradio copies anything, an event whose inputs name a file the
    browser did not upload (see the module's docstring)."""

    async def preprocess_data(self, block_fn: BlockFunction, inputs: list[Any], state: SessionState | None,
                              explicit_call: bool = False) -> list[Any]:
        for path in file_paths(inputs):
            if not isinstance(path, str) or not is_uploaded(path, self.upload_file_set):
                raise gr.Error(REFUSED)
        processed: list[Any] = await super().preprocess_data(block_fn, inputs, state, explicit_call)
        return processed
