"""The bot's HTTP client for the Bot API: python-telegram-bot's request interface
(`BaseRequest`) on an aiohttp client session, in place of PTB's httpx one.

Why: httpcore, under PTB's httpx client, looks at every pooled connection on every request
and every answer (two system calls each, and an idle count that is quadratic in the pool's
size). With many calls in flight, as when a burst of presses is answered, that was most of a
call's cost: 1,000 presses at 100 ms a call took 5.2 s with httpx, 3.7 s with this
(`make bench`, replies part). aiohttp is already the bot's web server for webhooks.

PTB still builds every request and reads every answer (`BaseRequest.post`, its error
mapping): only the transport changes. What PTB's `HTTPXRequest` does, this does too: one
keep-alive pool of `pool_size` connections, the timeouts, form fields (JSON-encoded values)
and multipart uploads, proxies from the environment (HTTPS_PROXY and the like). A timeout is
`TimedOut`; any other failure to get an answer is `NetworkError`, named after aiohttp's error.
"""

from __future__ import annotations

import io

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        pool_size: int = 1,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = self._new_session()

    def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
            headers={"User-Agent": self.USER_AGENT},
            # As httpx does by default: HTTPS_PROXY, NO_PROXY and the like are honoured.
            trust_env=True,
        )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        # aiohttp has no write timeout: the wait for the answer (sock_read) starts once the
        # request is written, and an upload's own, longer write timeout is added to it.
        timeout = aiohttp.ClientTimeout(
            total=None,
            # Waiting for a free connection of the pool, then making one.
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=None if read is None else read + ((write or 0) if files else 0),
        )
        data: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                # A file object, not bytes: aiohttp warns that sending a large body from
                # bytes blocks the loop (a poster PDF is megabytes).
                body = io.BytesIO(content) if isinstance(content, bytes) else content
                form.add_field(name, body, filename=filename, content_type=mime_type)
            data = form
        try:
            if self._session is None or self._session.closed:
                # Before initialize(), as PTB's own allows: a session for this call alone.
                async with self._new_session() as session:
                    return await _call(session, method, url, data, timeout)
            return await _call(self._session, method, url, data, timeout)
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


async def _call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    data: aiohttp.FormData | dict[str, str] | None,
    limits: aiohttp.ClientTimeout,
) -> tuple[int, bytes]:
    async with session.request(method, url, data=data, timeout=limits) as response:
        return response.status, await response.read()
