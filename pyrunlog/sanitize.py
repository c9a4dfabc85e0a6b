"""Make any error text storable: a run must never stay running because of it."""

from __future__ import annotations

MAX_ERROR_CHARS = 2000


def error_text(value: object) -> str:
    """A text Postgres accepts, of at most 2000 characters.

    NUL bytes (which Postgres text cannot hold) become U+FFFD, as do lone
    surrogates left by undecodable bytes; bytes are decoded as UTF-8 with
    replacement.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = str(value)
    text = text[: MAX_ERROR_CHARS * 2]  # bound the work on huge inputs
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # lone surrogates outside the escape range
        raw = text.encode("utf-8", errors="surrogatepass")
    text = raw.decode("utf-8", errors="replace")
    text = text.replace("\x00", "\ufffd")
    return text[:MAX_ERROR_CHARS]


def describe_exception(exc: BaseException) -> str:
    """`Type: message` of an exception, storable as an error_message."""
    message = str(exc)
    name = type(exc).__name__
    return error_text(f"{name}: {message}" if message else name)
