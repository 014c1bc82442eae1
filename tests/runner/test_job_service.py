"""The example job service itself: idempotent creation, completion, stats."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx


def test_one_job_per_idempotency_key(job_service: Callable[..., str]) -> None:
    base = job_service(callback="no", delay=0.1)
    body = {"stages": ["drain"], "callbacks": []}
    first = httpx.post(f"{base}/api/v3/host/h1", json=body, headers={"Idempotency-Key": "k1"})
    again = httpx.post(f"{base}/api/v3/host/h1", json=body, headers={"Idempotency-Key": "k1"})
    other = httpx.post(f"{base}/api/v3/host/h1", json=body, headers={"Idempotency-Key": "k2"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json() == again.json() != other.json()
    stats = httpx.get(f"{base}/stats").json()
    assert stats["jobs"] == 2
    assert stats["created_per_key"] == {"k1": 1, "k2": 1}
    assert stats["requests_per_key"] == {"k1": 2, "k2": 1}


def test_job_completes_after_its_delay(job_service: Callable[..., str]) -> None:
    base = job_service(callback="no", delay=1.0)
    created = time.monotonic()
    job_id = httpx.post(f"{base}/api/v3/host/h", json={}).json()["job_id"]
    assert httpx.get(f"{base}/api/v3/job/{job_id}/status").json() == {"status": "PENDING"}
    while httpx.get(f"{base}/api/v3/job/{job_id}/status").json() != {"status": "SUCCESS"}:
        assert time.monotonic() - created < 15, "the job never finished"
        time.sleep(0.1)
    assert time.monotonic() - created >= 1.0
    job = httpx.get(f"{base}/api/v3/job/{job_id}").json()
    assert (job["job_id"], job["host"], job["status"]) == (job_id, "h", "SUCCESS")
    assert httpx.get(f"{base}/api/v3/job/nope").status_code == 404


def test_fail_first_answers_503(job_service: Callable[..., str]) -> None:
    base = job_service(callback="no", fail_first=1)
    headers = {"Idempotency-Key": "k"}
    assert httpx.post(f"{base}/api/v3/host/h", json={}, headers=headers).status_code == 503
    assert httpx.post(f"{base}/api/v3/host/h", json={}, headers=headers).status_code == 201
    assert httpx.get(f"{base}/stats").json()["created_per_key"] == {"k": 1}
