"""Split an article into chunks of about N tiktoken tokens on sentence boundaries, with overlap."""

from __future__ import annotations

from assistant.index.tokens import get_encoding
from assistant.models import Article, Chunk
from assistant.text import sentences

__all__ = ["chunk_article"]


def _pieces(text: str, max_tokens: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than max_tokens cut at whitespace."""
    enc = get_encoding()
    spans: list[tuple[int, int]] = []
    for a, b in sentences(text):
        if len(enc.encode_ordinary(text[a:b])) <= max_tokens:
            spans.append((a, b))
            continue
        approx = max_tokens * 3  # ~3-4 characters a token in English news
        while b - a > approx:
            cut = text.rfind(" ", a, a + approx)
            cut = cut if cut > a else a + approx
            spans.append((a, cut))
            a = cut + 1 if text[cut : cut + 1] == " " else cut
        if b > a:
            spans.append((a, b))
    return spans


def chunk_article(article: Article, max_tokens: int = 180, overlap_tokens: int = 0) -> list[Chunk]:
    """Chunks whose text is exactly ``article.text[start:end]``; consecutive chunks share whole
    sentences worth up to ``overlap_tokens``."""
    enc = get_encoding()
    text = article.text
    spans = _pieces(text, max_tokens)
    if not spans:
        return []
    lengths = [len(enc.encode_ordinary(text[a:b])) for a, b in spans]
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j, total = i, 0
        while j < len(spans) and (j == i or total + lengths[j] <= max_tokens):
            total += lengths[j]
            j += 1
        chunks.append((spans[i][0], spans[j - 1][1]))
        if j >= len(spans):
            break
        # step back over whole sentences for the overlap, but always move forward
        k, carried = j, 0
        while k - 1 > i and carried + lengths[k - 1] <= overlap_tokens:
            carried += lengths[k - 1]
            k -= 1
        i = k
    version = article.content_hash[:8]
    return [
        Chunk(id=f"{article.id}-{version}-{n:04d}", article_id=article.id, index=n, text=text[a:b], start=a, end=b)
        for n, (a, b) in enumerate(chunks)
    ]
