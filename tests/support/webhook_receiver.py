"""A webhook receiver on 127.0.0.1 for tests: a small HTTP/1.1 server in a thread of its own, which records
every request it reads (headers, body) and answers as the test says: 200, 500, a redirect, a hang, or a
closed connection without an answer. It can be stopped and started again on the same port (down a while)."""

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from standardwebhooks import Webhook

from tests.support.services import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic()

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict[str, object]:
        """The body, once the Standard Webhooks reference library verified the signature (raises if not)."""
        payload: dict[str, object] = Webhook(secret).verify(self.body, self.headers)
        return payload


# What the receiver does with a request: "ok", "500", "redirect", "close", "hang", "big" (200 with 5 KB).
Behaviour = Callable[[Received], str]


class WebhookReceiver:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.behaviour: Behaviour = lambda _: "ok"
        self.release_hangs = threading.Event()
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def start(self) -> "WebhookReceiver":
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
            )
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("receiver did not start")
        return self

    def __enter__(self) -> "WebhookReceiver":
        return self

    def __exit__(self, *_: object) -> None:
        self.release_hangs.set()
        self.stop()

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def close() -> None:
            server.close()
            handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(close(), loop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = self._server = self._thread = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Received(headers, body, time.monotonic())
            with self._lock:
                self._received.append(request)
            action = self.behaviour(request)
            if action == "close":
                return
            if action == "hang":
                deadline = time.monotonic() + 60
                while not self.release_hangs.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                return
            status, extra, content = {
                "ok": ("200 OK", "", b"ok"),
                "500": ("500 Internal Server Error", "", b"broken"),
                "redirect": ("302 Found", "Location: http://127.0.0.1:1/elsewhere\r\n", b""),
                "big": ("200 OK", "", b"x" * 5000),
            }[action]
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Length: {len(content)}\r\n{extra}Connection: close\r\n\r\n".encode()
                + content
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
