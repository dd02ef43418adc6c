"""Deadlines of one length for many waits, kept on a single timer.

Every produce waits at most the same HS_GATEWAY_PRODUCE_TIMEOUT_SECONDS, so
deadlines expire in the order they were set: a queue, and one timer for the
earliest still running, do what `asyncio.timeout` does with a timer of each
request's own (a heap push, then a cancelled handle to pop, per request). A
deadline earlier than one already set (the length changed) gets a timer of
its own.

    deadline = deadlines.start(seconds)
    try:
        ...                                   # awaits; cancelled at the deadline
    except asyncio.CancelledError:
        if deadlines.end(deadline):           # the deadline's own cancellation
            raise TimeoutError from None
        raise
    finally:
        deadlines.end(deadline)

As with `asyncio.timeout`, the task is cancelled at the deadline, and only a
cancellation the deadline itself requested becomes TimeoutError.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Deadline:
    __slots__ = ("at", "cancelling", "expired", "over", "task", "timer")

    def __init__(self, at: float, task: asyncio.Task[object], cancelling: int) -> None:
        self.at = at
        self.task: asyncio.Task[object] | None = task
        self.cancelling = cancelling  # the task's cancel requests before this deadline
        self.expired = False
        self.over = False
        self.timer: asyncio.TimerHandle | None = None  # out of the queue's order only

    def expire(self) -> None:
        """Cancel the task: the deadline has passed."""
        if not self.over and self.task is not None:
            self.expired = True
            self.task.cancel()


class Deadlines:
    def __init__(self) -> None:
        self._running: deque[Deadline] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, seconds: float) -> Deadline:
        """A deadline `seconds` from now for the current task."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline needs a task")
        loop = task.get_loop()
        deadline = Deadline(loop.time() + seconds, task, task.cancelling())
        running = self._running
        while running and running[0].over:  # those that ended first, mostly
            running.popleft()
        if running and running[-1].at > deadline.at:
            deadline.timer = loop.call_at(deadline.at, deadline.expire)
            return deadline
        running.append(deadline)
        if self._timer is None:
            self._timer = loop.call_at(deadline.at, self._expire)
        return deadline

    def end(self, deadline: Deadline) -> bool:
        """End `deadline` (once; again changes nothing). True when it expired and the
        task has no cancel request of its own beside the deadline's."""
        if deadline.over:
            return False
        deadline.over = True
        if deadline.timer is not None:
            deadline.timer.cancel()
        task, deadline.task = deadline.task, None
        return deadline.expired and task is not None and task.uncancel() <= deadline.cancelling

    def _expire(self) -> None:
        """Cancel the tasks of the deadlines past, and set the timer for the next one."""
        self._timer = None
        running = self._running
        while running:
            deadline = running[0]
            if not deadline.over:
                assert deadline.task is not None
                loop = deadline.task.get_loop()
                if deadline.at > loop.time():
                    self._timer = loop.call_at(deadline.at, self._expire)
                    return
                deadline.expire()
            running.popleft()
