"""Tests of the real payment gateways (package ``gateways``; ``tests/adapters`` has no ``__init__``, on purpose).

A ``tests/adapters/__init__.py`` would make pytest import these modules as ``subscription_core_adapters.gateways...``
and shadow the ``adapters`` package under ``src/``.
"""
