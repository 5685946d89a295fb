"""Tests of the application services, end to end on the in-memory adapters and the fakes."""
