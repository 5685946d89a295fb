"""The port contract suites: one suite per port of ``subscription_core.ports``, run on every adapter.

Which adapters they run on is listed in :mod:`contract.registry`; this directory is a package so that its
``conftest`` does not clash with ``tests/conftest.py`` for mypy.
"""
