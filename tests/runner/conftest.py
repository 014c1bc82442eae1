"""Fixtures for the local runner's tests: `examples` and `job_service` come from tests/conftest.py."""
