"""Request body size limit (413) as a pure ASGI middleware, so that no handler ever buffers a huge body.
`path_limits` gives some path prefixes a limit of their own (a FHIR Bundle of a whole patient record is
megabytes; a native case is kilobytes); the longest matching prefix wins."""

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem_response


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, path_limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Longest prefix first, so that the most specific one matches.
        self.path_limits = sorted((path_limits or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.path_limits if path.startswith(prefix)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._reject(scope, receive, send, max_bytes)
            return
        received = 0
        too_large = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app makes of a body it could not finish reading (FastAPI turns the error into
            # a 400 "error parsing the body") is dropped: the answer is the 413 below.
            nonlocal response_started
            if too_large:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not response_started:
            await self._reject(scope, receive, send, max_bytes)

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        response = problem_response(
            413, "Payload too large", f"the request body is larger than {max_bytes} bytes"
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass
