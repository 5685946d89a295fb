"""Tests of the reference e-invoice adapter (subscription_core_adapters.einvoice)."""
