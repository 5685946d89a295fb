"""Tests of the reference e-invoice adapter (adapters.einvoice)."""
