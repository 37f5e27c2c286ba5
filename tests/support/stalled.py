"""An AWS endpoint that has stopped answering, and a clock on the calls made to it."""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

# The API function's timeout: past it, API Gateway answers for us (502/504) and the signer sees no "try again".
API_BUDGET_SECONDS = json.loads((Path(__file__).resolve().parents[2] / ".chalice" / "config.json").read_text())[
    "lambda_functions"]["api_handler"]["lambda_timeout"]


class StalledEndpoint:
    """Accepts every connection, reads nothing and never answers, like a service behind a partition."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._server.settimeout(0.1)
        self.connections: list[socket.socket] = []
        self._open = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def _accept(self) -> None:
        while self._open:
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self._open = False
        self._thread.join()
        self._server.close()
        for connection in self.connections:
            connection.close()


def answer_within(seconds: float, call: Callable[[], object]) -> tuple[object, float]:
    """Run ``call`` and return its result and duration, failing if it takes longer than ``seconds``."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["answer"] = call()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            box["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    took = time.monotonic() - started
    assert not thread.is_alive(), f"no answer within {seconds} s: API Gateway would have answered instead of the app"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["answer"], took
