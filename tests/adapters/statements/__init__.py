"""Tests of the bank-statement readers (issue 6)."""
