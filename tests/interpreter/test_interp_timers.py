"""The deadline index as the metrics page reads it: from another thread, while the loop works."""

from __future__ import annotations

import sys
import threading

from flowmetal.interpreter.timers import TimerIndex


def test_counting_from_another_thread_while_the_loop_changes_timers() -> None:
    index = TimerIndex()
    for i in range(2000):
        index.set_task(0, f"t{i}", {"a": 1})
    stop = threading.Event()

    def loop() -> None:  # what the interpreter does as steps start and end timers
        i = 0
        while not stop.is_set():
            index.set_task(0, f"x{i}", {"a": 1})
            index.set_task(0, f"x{i}", {})
            i += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    worker = threading.Thread(target=loop)
    worker.start()
    try:
        counts = [index.count() for _ in range(2000)]  # iterating live dicts here used to fail
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(old)
    assert min(counts) >= 2000 and max(counts) <= 2001
