"""The framework ceiling: a plain Faust agent that only counts messages.

    python -m bench.faust_count BOOTSTRAP EXPECTED OUT.json TOPIC [TOPIC …]

Exits after `EXPECTED` messages, writing the rate between the first and the
last message to OUT.json.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from typing import Any

import faust


def main() -> None:
    bootstrap, expected, out, *topics = sys.argv[1:]
    wanted = int(expected)
    app = faust.App(
        f"bench-count-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        stream_buffer_maxsize=16384,
        broker_max_poll_records=2000,
        consumer_max_fetch_size=16 * 1024 * 1024,
        autodiscover=False,
        datadir=f"/tmp/bench-count-{os.getpid()}",
    )
    source = app.topic(*topics, key_serializer="raw", value_serializer="raw")
    seen = {"count": 0, "first": 0.0}

    @app.agent(source)
    async def count(stream: Any) -> None:
        async for _ in stream:
            if seen["count"] == 0:
                seen["first"] = time.perf_counter()
            seen["count"] += 1
            if seen["count"] >= wanted:
                elapsed = time.perf_counter() - seen["first"]
                with open(out, "w") as file:  # noqa: ASYNC230 (the process exits next)
                    json.dump(
                        {
                            "messages": seen["count"],
                            "seconds": elapsed,
                            "messages_per_second": seen["count"] / elapsed,
                        },
                        file,
                    )
                os._exit(0)

    faust.Worker(app, loglevel="WARNING").execute_from_commandline()


if __name__ == "__main__":
    main()
