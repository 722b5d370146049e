"""Shared hypothesis settings: deterministic examples (same run in CI and locally), no deadline."""
from __future__ import annotations

from hypothesis import settings

settings.register_profile("microgradnet", deadline=None, derandomize=True, database=None, max_examples=60)
settings.load_profile("microgradnet")
