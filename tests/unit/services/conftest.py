"""Fixtures of the service tests: a fresh world per test."""

from __future__ import annotations

import pytest

from .harness import World


@pytest.fixture
def world() -> World:
    """The services on a fresh in-memory store, its clock at T0."""
    return World.make()
