"""Storage URLs: the default study database, driver routing, and hiding secrets in any text.

This is the one home of three rules every layer needs (``nas.studies.storage`` opens storages for
writing, ``results.storage`` for reading, ``cli`` prints errors): where studies go unless told
otherwise, which PostgreSQL driver a plain ``postgresql://`` URL means (and the install line when it
is missing: the driver is the ``postgres`` extra), and how a password is kept out of every message,
file and page (see ``docs/cluster.md`` for the URLs users give).

Masking covers the three ways a secret is written into a connection string:

- ``scheme://user:password@host/db``; the password may hold a raw ``@``, ``/`` or spaces (libpq
  and SQLAlchemy want them percent-encoded, but users paste them as they are). The userinfo is
  split with :func:`urllib.parse.urlsplit`'s own rule (up to the *last* ``@`` of the authority).
- query parameters, ``...?sslmode=require&password=secret`` (libpq and SQLAlchemy accept both);
- libpq keyword/value strings, ``host=h user=u password='my secret'`` (single quotes, ``\\'``).

Masking errs on the side of hiding: text it cannot split cleanly is hidden up to the next ``@``.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from search_spaces.errors import UserError

#: Where ``effsearch baseline`` and ``coefficients`` write studies, and reports read them, by default.
DEFAULT_STORAGE = "sqlite:///runs/effsearch.db"
#: What replaces a secret.
MASK = "***"
#: Keys whose value is a secret, in a URL query or a libpq ``key=value`` string.
SECRET_KEYS: frozenset[str] = frozenset(
    {"password", "passwd", "pwd", "sslpassword", "secret", "token", "access_token", "api_key", "apikey"}
)

# Only locate where a URL or a key starts; the splitting itself is done by the parsers below.
_URL_START = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://")
_KEY_START = re.compile(r"(?<![A-Za-z0-9_])(?P<key>[A-Za-z_]+)[ \t]*=[ \t]*", re.IGNORECASE)
_QUOTES = "'\""


#: The extra that installs the PostgreSQL driver (psycopg 3): ``pip install 'effsearch[postgres]'``.
POSTGRES_EXTRA = "effsearch[postgres]"


def normalize_url(url: str) -> str:
    """Pick an installed PostgreSQL driver: ``postgresql://`` means psycopg2 to SQLAlchemy, but
    effsearch's ``postgres`` extra installs psycopg 3, so plain URLs are routed to
    ``postgresql+psycopg://``."""
    url = url.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix) and importlib.util.find_spec("psycopg2") is None:
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def require_driver(url: str) -> None:
    """Refuse a PostgreSQL ``url`` (as :func:`normalize_url` gives it) whose driver is not installed.

    One line naming the extra that installs it, instead of SQLAlchemy's "No module named ..."."""
    scheme = url.strip().partition("://")[0].lower()
    dialect, _, driver = scheme.partition("+")
    if dialect not in ("postgresql", "postgres") or driver not in ("", "psycopg", "psycopg2"):
        return
    module = driver or "psycopg2"
    if importlib.util.find_spec(module) is None:
        shown = mask_secrets(url)
        if module == "psycopg2":
            raise UserError(
                f"storage {shown} asks for the psycopg2 driver, which is not installed: pip install "
                f"psycopg2-binary, or write postgresql:// and pip install '{POSTGRES_EXTRA}'"
            )
        raise UserError(
            f"storage {shown} needs the PostgreSQL driver (psycopg), which is not installed: "
            f"pip install '{POSTGRES_EXTRA}'"
        )


def _url_end(text: str, start: int) -> int:
    """Where the URL starting at ``start`` ends: the line's end, or the quote that opened it."""
    end = len(text)
    newline = text.find("\n", start)
    if newline >= 0:
        end = newline
    if start > 0 and text[start - 1] in _QUOTES:
        closing = text.find(text[start - 1], start, end)
        if closing >= 0:
            end = closing
    return end


def _mask_userinfo(token: str) -> str:
    """``scheme://user:secret@rest`` -> ``scheme://user:***@rest`` (``token`` starts at the scheme)."""
    head_len = token.index("://") + 3
    rest = token[head_len:]
    try:
        netloc = urlsplit(token).netloc
    except ValueError:  # e.g. an unbalanced "[" of an IPv6 host: fall back to the whole rest
        netloc = ""
    userinfo, at, _ = netloc.rpartition("@")
    if not at:
        # No "@" in the authority: a password holding "/" or "?" ends the authority early. Hide
        # through the last "@" of the URL when what follows "user:" is not simply a port number.
        userinfo, at, _ = rest.rpartition("@")
        user, colon, secret = userinfo.partition(":")
        if not at or not colon or secret.isdigit() or not user or any(c.isspace() for c in user):
            return token
    user, colon, secret = userinfo.partition(":")
    if not colon or not secret or any(c.isspace() for c in user):
        return token
    # A password holding "/", "?" or "#" ends urlsplit's authority early, before a later "@":
    # the password then runs to the last "@" of the URL (hiding too much beats showing a secret).
    userinfo = rest.rpartition("@")[0]
    return token[:head_len] + f"{user}:{MASK}@" + rest[len(userinfo) + 1 :]


def _mask_urls(text: str) -> str:
    out, pos = [], 0
    for match in _URL_START.finditer(text):
        if match.start() < pos:
            continue
        end = _url_end(text, match.start())
        out.append(text[pos : match.start()])
        out.append(_mask_userinfo(text[match.start() : end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _value_end(text: str, start: int, in_query: bool) -> tuple[int, bool]:
    """End of the value at ``start`` and whether it was quoted (libpq: ``'...'`` with ``\\'``)."""
    if not in_query and start < len(text) and text[start] == "'":
        i = start + 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == "'":
                return i + 1, True
            i += 1
        return len(text), True
    stops = " \t\r\n'\"" + ("&#;" if in_query else "")
    i = start
    while i < len(text) and text[i] not in stops:
        i += 1
    return i, False


def _mask_key_values(text: str) -> str:
    out, pos = [], 0
    for match in _KEY_START.finditer(text):
        if match.start() < pos or match["key"].lower() not in SECRET_KEYS:
            continue
        in_query = match.start() > 0 and text[match.start() - 1] in "?&;"
        end, quoted = _value_end(text, match.end(), in_query)
        if end == match.end():
            continue  # an empty value hides nothing
        out.append(text[pos : match.end()])
        out.append(f"'{MASK}'" if quoted else MASK)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def password_in(url: str) -> str:
    """The password of ``url`` as this module reads it (up to the last ``@``), or ``""``."""
    masked = _mask_urls(url.strip())
    start = masked.find(f":{MASK}@")
    if start < 0:
        return ""
    text = url.strip()
    return text[start + 1 : len(text) - (len(masked) - start - len(MASK) - 1)]


def mask_secrets(text: object, *, known: Iterable[str] = ()) -> str:
    """``text`` with every storage password replaced by ``***`` (see the module docstring).

    ``known`` are URLs whose passwords must vanish wherever they appear: a driver that splits a
    raw ``@`` differently quotes the rest of the password as a host name in its error message.
    """
    masked = _mask_key_values(_mask_urls(str(text)))
    for url in known:
        secret = password_in(str(url))
        for piece in sorted({secret, *secret.split("@")}, key=len, reverse=True):
            if len(piece) >= 3:
                masked = masked.replace(piece, MASK)
    return masked


__all__ = [
    "DEFAULT_STORAGE",
    "MASK",
    "POSTGRES_EXTRA",
    "SECRET_KEYS",
    "mask_secrets",
    "normalize_url",
    "password_in",
    "require_driver",
]
