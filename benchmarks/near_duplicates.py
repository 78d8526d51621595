"""Measure MinHash Jaccard between candidate article pairs to choose the near-duplicate threshold.

    python benchmarks/near_duplicates.py ../shared/data/realtimeqa/articles-2024.jsonl.gz [--limit N]

Prints JSON: how many pairs fall in each Jaccard band (LSH candidates and exact Jaccard on shingles),
with example title pairs per band, so the threshold can be put in the gap between copies and
same-topic stories.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
from collections import defaultdict
from pathlib import Path

from ingest.dedupe import SHINGLE, NearDuplicates, jaccard, signature


def shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("articles", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    opener = gzip.open if args.articles.suffix == ".gz" else open
    with opener(args.articles, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in itertools.islice(f, args.limit)]
    index = NearDuplicates(threshold=0.0)
    sigs = {}
    for row in rows:
        sigs[row["id"]] = signature(row["text"])
        index.add(row["id"], sigs[row["id"]])
    by_id = {row["id"]: row for row in rows}
    bands: dict[str, list[tuple[str, str, float, float]]] = defaultdict(list)
    seen = set()
    for aid, sig in sigs.items():
        for other in index.candidates(sig):
            if other == aid or (other, aid) in seen:
                continue
            seen.add((aid, other))
            a, b = shingles(by_id[aid]["text"]), shingles(by_id[other]["text"])
            exact = len(a & b) / max(len(a | b), 1)
            band = f"{min(int(exact * 10), 9) / 10:.1f}-{min(int(exact * 10), 9) / 10 + 0.1:.1f}"
            bands[band].append((by_id[aid]["title"][:70], by_id[other]["title"][:70], round(exact, 3),
                                round(jaccard(sig, sigs[other]), 3)))
    print(json.dumps({
        "articles": len(rows),
        "candidate_pairs": len(seen),
        "pairs_by_exact_jaccard": {k: len(v) for k, v in sorted(bands.items())},
        "examples": {k: v[:4] for k, v in sorted(bands.items())},
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
