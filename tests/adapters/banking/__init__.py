"""Tests of the banking adapter: VietQR payloads and images, the bank table, the transfer provider."""
