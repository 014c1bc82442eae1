"""`flowmetal run --local` and `flowmetal check` as a user runs them: a subprocess, stdout, exit code."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

Flowmetal = Callable[..., subprocess.CompletedProcess[str]]


def result_of(proc: subprocess.CompletedProcess[str]) -> object:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout  # one line of JSON, nothing else
    return json.loads(lines[0])


def test_fan_out(flowmetal: Flowmetal) -> None:
    assert result_of(flowmetal("run", "--local", "examples/fan_out.flow", "--args", "[10]")) == 285


def test_timers(flowmetal: Flowmetal) -> None:
    proc = flowmetal("run", "--local", "examples/timers.flow")
    assert result_of(proc) == {"slept_long_enough": True, "got": "a timeout"}


def test_counter_with_the_echo_connector(flowmetal: Flowmetal) -> None:
    proc = flowmetal(
        "run", "--local", "examples/counter.flow", "--args", "[20]",
        "--connector", "echo=flowmetal.connectors.echo:EchoConnector",
    )  # fmt: skip
    assert result_of(proc) == 20


def test_connector_from_the_current_directory(flowmetal: Flowmetal, tmp_path: Path) -> None:
    (tmp_path / "myconn.py").write_text(
        "class Doubler:\n"
        "    kind = 'double'\n"
        "    async def handle(self, request):\n"
        "        return request.payload * 2\n"
    )
    (tmp_path / "p.flow").write_text(
        "from flow.connector import call\n\ndef main(x):\n    return call('double', x)\n"
    )
    proc = flowmetal(
        "run", "--local", "p.flow", "--args", "[21]", "--connector", "myconn:Doubler", cwd=tmp_path
    )
    assert result_of(proc) == 42


def test_remote_job_by_callback_and_by_polling(
    flowmetal: Flowmetal, job_service: Callable[..., str]
) -> None:
    for callback, wait in [("yes", 30), ("no", 0.5)]:
        base = job_service(callback=callback, delay=0.3)
        args = json.dumps([base, "web-1", wait])
        job = result_of(flowmetal("run", "--local", "examples/remote_job.flow", "--args", args))
        assert isinstance(job, dict) and job["status"] == "SUCCESS"
        stats = httpx.get(f"{base}/stats").json()
        assert stats["jobs"] == 1, callback
        assert list(stats["created_per_key"].values()) == [1]
        assert bool(stats["callback_status"]) == (callback == "yes")


def test_kwargs_and_printed_lines_go_to_stderr(flowmetal: Flowmetal, tmp_path: Path) -> None:
    prog = tmp_path / "hello.flow"
    prog.write_text('def main(name="x"):\n    print("hello", name)\n    return [name]\n')
    proc = flowmetal("run", "--local", str(prog), "--kwargs", '{"name": "ada"}')
    assert result_of(proc) == ["ada"]
    assert "hello ada" in proc.stderr


def test_failing_program_prints_a_flowmetal_traceback(flowmetal: Flowmetal, tmp_path: Path) -> None:
    prog = tmp_path / "boom.flow"
    prog.write_text("def helper(d):\n    return d['nope']\n\ndef main():\n    return helper({})\n")
    proc = flowmetal("run", "--local", str(prog))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "boom.flow" in proc.stderr
    assert "line 2" in proc.stderr and "line 5" in proc.stderr
    assert proc.stderr.rstrip().splitlines()[-1].startswith("KeyError")
    assert ".py" not in proc.stderr  # Flowmetal lines, never the interpreter's own


def test_syntax_error_prints_position_and_caret(flowmetal: Flowmetal, tmp_path: Path) -> None:
    prog = tmp_path / "bad.flow"
    prog.write_text("def main():\n    return (1 +\n\nx = = 2\n")
    proc = flowmetal("run", "--local", str(prog))
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]
    assert first.startswith(f"{prog}:")
    line, col = first[len(str(prog)) + 1 :].split(":")[:2]
    assert int(line) >= 2 and int(col) >= 1
    assert proc.stderr.rstrip().endswith("^")


def test_check_good_and_bad_files(flowmetal: Flowmetal, tmp_path: Path) -> None:
    good = flowmetal("check", "examples/fan_out.flow", "examples/remote_job.flow")
    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")
    bad = tmp_path / "bad.flow"
    bad.write_text("def main()\n    return 1\n")
    proc = flowmetal("check", "examples/timers.flow", str(bad))
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"{bad}:1:")
    assert "^" in proc.stdout


def test_usage_errors_exit_2(flowmetal: Flowmetal) -> None:
    no_local = flowmetal("run", "examples/fan_out.flow")
    assert no_local.returncode == 2
    assert "flowmetal tasks start" in no_local.stderr
    bad_args = flowmetal("run", "--local", "examples/fan_out.flow", "--args", "{}")
    assert bad_args.returncode == 2
    assert "--args must be a JSON array" in bad_args.stderr
    bad_conn = flowmetal("run", "--local", "examples/counter.flow", "--connector", "echo=nope")
    assert bad_conn.returncode == 2
    assert "KIND=module:attr" in bad_conn.stderr


def test_ctrl_c_cancels_the_task_and_runs_its_finally(tmp_path: Path) -> None:
    prog = tmp_path / "nap.flow"
    prog.write_text(
        "from flow.time import sleep\n\n"
        "def main():\n"
        "    print('sleeping')\n"
        "    try:\n"
        "        sleep(60)\n"
        "    finally:\n"
        "        print('cleaning up')\n"
    )
    exe = Path(sys.executable).with_name("flowmetal")
    cmd = [str(exe), "run", "--local", str(prog)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline() == "sleeping\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert out == ""
    assert "cleaning up" in err
    assert err.rstrip().endswith("Cancelled: interrupted")
