"""The one HTTP connection to a Label Studio server. Every request annotate makes to one goes
through `Http`: the API client's calls, the server commands' health and version checks, doctor's
key check.

One httpx client, opened on first use and kept (its connections are reused). A personal access
token (a JWT) is exchanged at /api/token/refresh/ for a 5-minute access token, renewed once when a
request is refused with 401; anything else is a legacy token, sent as it is.

Every failure leaves here as an AnnotateError a user can act on (`translating`), the API key never
in it: an error status as LabelStudioAPIError with its `status`, a refused key as AuthError, no
answer as ServerUnreachable, a URL httpx cannot use as ConfigError.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx

from annotate.errors import AuthError, ConfigError, LabelStudioAPIError, ServerUnreachable
from annotate.labelstudio.service.settings import display_url, is_personal_access_token

# Exports of large projects take minutes on the Django dev server (10k tasks: ~30 s).
DEFAULT_TIMEOUT = 600.0


class StatusError(Exception):
    """The server answered with an error status; `translating` turns it into the user's error."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(status_code)
        self.status_code, self.body = status_code, body


def _detail(body: Any) -> str:
    if not isinstance(body, dict):
        return str(body)[:500]
    errors = body.get("validation_errors")
    if isinstance(errors, dict) and errors:
        # {"label_config": ["..."], "non_field_errors": ["..."]}: the messages are what users need.
        return "; ".join(
            str(m) for messages in errors.values() for m in (messages if isinstance(messages, list) else [messages])
        )
    return str(body.get("detail") or json.dumps(body))


def _status_error(url: str, what: str, exc: StatusError) -> Exception:
    if exc.status_code == 401:
        return AuthError(
            f"Label Studio at {url} refused the API key while trying to {what}",
            hint="check LABEL_STUDIO_API_KEY or the settings file written by `annotate server start`",
        )
    detail = _detail(exc.body)
    if len(detail) > 600:  # a rejected import lists every item
        detail = detail[:600] + f"... ({len(detail) - 600} more characters)"
    return LabelStudioAPIError(
        f"Label Studio at {url} could not {what}: HTTP {exc.status_code}: {detail}",
        status=exc.status_code,
        detail=detail,
    )


@contextlib.contextmanager
def translating(url: str, what: str) -> Iterator[None]:
    """Turn what goes wrong while trying to do `what` at `url` into the user's error."""
    shown = display_url(url)
    try:
        yield
    except (httpx.InvalidURL, UnicodeError) as exc:  # a host name IDNA refuses raises a UnicodeError
        raise ConfigError(f"{shown} is not a valid Label Studio URL ({exc})",
                          hint="give a URL such as http://127.0.0.1:8080") from None  # fmt: skip
    except httpx.TimeoutException:
        raise ServerUnreachable(f"Label Studio at {shown} timed out while trying to {what}") from None
    except httpx.TransportError as exc:
        raise ServerUnreachable(
            f"cannot reach Label Studio at {shown} ({type(exc).__name__})",
            hint="is it running? start it with `annotate server start`",
        ) from None
    except StatusError as exc:
        raise _status_error(shown, what, exc) from None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


class Http:
    def __init__(self, url: str, api_key: str = "", *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self._key, self.timeout = api_key, timeout
        self._client: httpx.Client | None = None
        self._authorization: str | None = None

    def _open(self) -> httpx.Client:
        if self._client is None:
            # verify only for https: no CA bundle to load for http
            self._client = httpx.Client(base_url=self.url, timeout=self.timeout, verify=self.url.startswith("https:"))
        return self._client

    def _exchange(self) -> str:
        """The Authorization header for the key: a personal access token is exchanged first."""
        if not is_personal_access_token(self._key):
            return f"Token {self._key}"
        response = self._open().post("/api/token/refresh/", json={"refresh": self._key}, timeout=30)
        if response.status_code != 200:
            raise StatusError(401, "the personal access token was refused")
        return f"Bearer {response.json()['access']}"

    def _headers(self, auth: bool, given: dict[str, str] | None, *, renew: bool = False) -> dict[str, str]:
        headers = dict(given or {})
        if auth:
            if self._authorization is None or renew:
                self._authorization = self._exchange()
            headers["Authorization"] = self._authorization
        return headers

    @contextlib.contextmanager
    def stream(self, method: str, path: str, *, what: str, auth: bool = True, **kw: Any) -> Iterator[httpx.Response]:
        """A request whose answer is read as it comes. An error status raises, translated."""
        given = kw.pop("headers", None)
        with translating(self.url, what):
            for attempt in (1, 2):
                renew = attempt == 2
                with self._open().stream(method, path, headers=self._headers(auth, given, renew=renew), **kw) as answer:
                    if answer.status_code == 401 and attempt == 1 and auth and is_personal_access_token(self._key):
                        continue  # the access token expired: exchange the key again, once
                    if answer.status_code >= 400:
                        answer.read()
                        raise StatusError(answer.status_code, _body(answer))
                    yield answer
                    return

    def call(self, method: str, path: str, *, what: str, auth: bool = True, **kw: Any) -> Any:
        """A request and its JSON answer (None for an empty one)."""
        with self.stream(method, path, what=what, auth=auth, **kw) as answer:
            content = answer.read()
        with translating(self.url, what):
            try:
                return json.loads(content) if content else None
            except ValueError:
                raise StatusError(answer.status_code, f"not JSON: {content[:200]!r}") from None

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
