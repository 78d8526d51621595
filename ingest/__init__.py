"""Turning files, URLs and feeds into cleaned, chunked, embedded, indexed articles."""

from __future__ import annotations

import assistant  # noqa: F401  - sets the offline/telemetry switches before anything else loads

__all__ = ["pipeline"]
