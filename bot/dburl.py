"""`NEWSBOT_DATABASE` as a PostgreSQL URL: parsed once, and shown everywhere without its password.

A SQLite database is a path; a PostgreSQL one is `postgresql://user:password@host:port/dbname`. The
URL object's str() and repr() hide the password, so settings, error messages and logs can name the
database safely; only the driver ever sees `dsn`.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")
HIDDEN = "***"


def is_database_url(value: str) -> bool:
    return value.strip().lower().startswith(tuple(f"{scheme}://" for scheme in SCHEMES))


class DatabaseURL:
    """A PostgreSQL connection URL; `dsn` holds the password, nothing else shows it."""

    __slots__ = ("_raw_passwords", "dsn", "password", "redacted")

    def __init__(self, url: str) -> None:
        url = url.strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
        except ValueError:
            raise ValueError("not a valid postgresql:// URL (a malformed host or port)") from None
        if parts.scheme.lower() not in SCHEMES:
            raise ValueError("a PostgreSQL URL starts with postgresql://")
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("a PostgreSQL URL needs a host: postgresql://user:password@host:5432/dbname")
        self.dsn = url
        self._raw_passwords = tuple(p for p in (parts.password, _query_password(parts.query)) if p)
        self.password = unquote(self._raw_passwords[0]) if self._raw_passwords else None
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, _, hostport = netloc.rpartition("@")
            netloc = f"{userinfo.partition(':')[0]}:{HIDDEN}@{hostport}"
        self.redacted = urlunsplit((parts.scheme, netloc, parts.path, _hide_query_password(parts.query), ""))

    @property
    def secrets(self) -> tuple[str, ...]:
        """What a log line must never hold: the password, as typed and percent-decoded."""
        found = [*self._raw_passwords, *(unquote(p) for p in self._raw_passwords)]
        return tuple(dict.fromkeys(found))

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseURL) and other.dsn == self.dsn

    def __hash__(self) -> int:
        return hash(self.dsn)


def _hide_query_password(query: str) -> str:
    # libpq also takes ?password=…; hide it the same way.
    pieces = []
    for piece in query.split("&") if query else []:
        key, eq, _ = piece.partition("=")
        pieces.append(f"{key}={HIDDEN}" if eq and key.lower() == "password" else piece)
    return "&".join(pieces)


def _query_password(query: str) -> str | None:
    for piece in query.split("&") if query else []:
        key, eq, value = piece.partition("=")
        if eq and key.lower() == "password" and value:
            return value
    return None
