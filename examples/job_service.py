"""A stand-in remote job service, for examples/remote_job.flow and its tests.

    POST /api/v3/host/{host}       create a job: body {"stages": [...], "callbacks": [url, ...]}
                                   -> 201 {"job_id"}; the same Idempotency-Key again
                                   -> 200 and the same job, never a second one
    GET  /api/v3/job/{id}          the job
    GET  /api/v3/job/{id}/status   {"status": "PENDING" | "SUCCESS"}
    GET  /stats                    {"jobs": n, "created_per_key": {key: jobs},
                                    "requests_per_key": {key: POSTs},
                                    "callback_status": {job_id: [HTTP status, ...]}}

A job succeeds `--delay` seconds after it is created. With `--callback yes`
the service then POSTs the job to each of its callback URLs; with
`--callback no` it never calls back, so the caller has to poll.
`--fail-first N` answers the first N creations with 503, to show that a
client's retries (same Idempotency-Key) still make one job.

    python examples/job_service.py --port 8000 --callback yes

With `--port 0` it picks a free port. Either way its first line on stdout
is `listening on http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
from typing import Any

from aiohttp import ClientError, ClientSession, web


class JobService:
    def __init__(self, delay: float, call_back: bool, fail_first: int) -> None:
        self.delay = delay
        self.call_back = call_back
        self.fail_first = fail_first
        self.jobs: dict[str, dict[str, Any]] = {}
        self.job_of_key: dict[str, str] = {}
        self.created_per_key: dict[str, int] = {}
        self.requests_per_key: dict[str, int] = {}
        self.callback_status: dict[str, list[int | str]] = {}
        self._ids = itertools.count(1)
        self._background: set[asyncio.Task[None]] = set()

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(
            [
                web.post("/api/v3/host/{host}", self.create),
                web.get("/api/v3/job/{job_id}", self.get_job),
                web.get("/api/v3/job/{job_id}/status", self.get_status),
                web.get("/stats", self.stats),
            ]
        )
        return app

    async def create(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        self.requests_per_key[key] = self.requests_per_key.get(key, 0) + 1
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.json_response({"error": "try again"}, status=503)
        if key and key in self.job_of_key:
            # A retry of a creation we already made: answer it, make nothing.
            return web.json_response({"job_id": self.job_of_key[key]}, status=200)
        body = await request.json()
        job_id = f"job-{next(self._ids)}"
        job = {
            "job_id": job_id,
            "host": request.match_info["host"],
            "stages": body.get("stages", []),
            "callbacks": body.get("callbacks", []),
            "status": "PENDING",
        }
        self.jobs[job_id] = job
        if key:
            self.job_of_key[key] = job_id
        self.created_per_key[key] = self.created_per_key.get(key, 0) + 1
        finishing = asyncio.ensure_future(self.finish(job))
        self._background.add(finishing)
        finishing.add_done_callback(self._background.discard)
        return web.json_response({"job_id": job_id}, status=201)

    async def finish(self, job: dict[str, Any]) -> None:
        await asyncio.sleep(self.delay)
        job["status"] = "SUCCESS"
        if not self.call_back:
            return
        statuses = self.callback_status.setdefault(job["job_id"], [])
        async with ClientSession() as session:
            for url in job["callbacks"]:
                try:
                    async with session.post(url, json=job) as resp:
                        statuses.append(resp.status)
                except ClientError as exc:
                    statuses.append(type(exc).__name__)

    def _job(self, request: web.Request) -> dict[str, Any]:
        job = self.jobs.get(request.match_info["job_id"])
        if job is None:
            raise web.HTTPNotFound()
        return job

    async def get_job(self, request: web.Request) -> web.Response:
        return web.json_response(self._job(request))

    async def get_status(self, request: web.Request) -> web.Response:
        return web.json_response({"status": self._job(request)["status"]})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "jobs": len(self.jobs),
                "created_per_key": self.created_per_key,
                "requests_per_key": self.requests_per_key,
                "callback_status": self.callback_status,
            }
        )


async def serve(service: JobService, port: int) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    runner = web.AppRunner(service.app(), access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--callback", choices=["yes", "no"], default="yes")
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    service = JobService(args.delay, args.callback == "yes", args.fail_first)
    try:
        asyncio.run(serve(service, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
