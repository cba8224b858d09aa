"""The committed empirical cascade profiles (derived by ``tools/realdata.py`` from public datasets)."""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

PROFILE_FILE = "empirical_profiles.json"


def load_profiles() -> dict[str, Any]:
    """Read the committed empirical profiles (``simulator/data/empirical_profiles.json``).

    Shape: ``{"schema_version": 1, "weibo": P, "twitter15": P, "twitter16": P,
    "twitter": P (pooled), "provenance": {...}}`` where each ``P`` is a cascade profile (integer
    keys such as depths are JSON strings, latencies are in hours). A fresh dict on every call.
    """
    text = importlib.resources.files("simulator.data").joinpath(PROFILE_FILE).read_text("utf-8")
    return json.loads(text)
