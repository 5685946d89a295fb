"""Shared test set-up: hypothesis profiles (fast for local runs, thorough for CI)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None)
# CI draws the same examples every run (derandomize): a green main stays green, and a red one is reproduced by
# running the same profile. New examples are explored locally (dev) and by the fuzz profile.
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    derandomize=True,
)
# By hand, for the hostile-input suite: HYPOTHESIS_PROFILE=fuzz bash scripts/check.sh -k fuzz
settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") == "true" else "dev"))
