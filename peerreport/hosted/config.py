"""What a hosted peerreport serves: its database, secret, public address and limits.

Read from a TOML file (`peerreport serve --config server.toml`), with any
setting overridden by an environment variable (a container's usual way):

    [server]
    base_url = "https://reports.example.org"  # the address people use (the TLS proxy's)
    bind = "127.0.0.1"                        # where this process listens
    port = 8080
    data_dir = "/var/lib/peerreport"          # organisations' folders, received bundles, logs
    max_upload_mb = 200
    session_hours = 8                         # a login lasts at most this long
    idle_minutes = 60                         # ...and ends after this long unused

    [database]
    url = "postgresql://peerreport@localhost/peerreport"

    [secrets]
    secret_key_file = "secret.key"            # relative to this file; or PEERREPORT_SECRET_KEY

Environment variables: PEERREPORT_DATABASE_URL, PEERREPORT_SECRET_KEY,
PEERREPORT_BASE_URL, PEERREPORT_BIND, PEERREPORT_PORT, PEERREPORT_DATA_DIR.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from peerreport.errors import UsageError

#: A secret key shorter than this is refused: it signs every session cookie.
MIN_SECRET_CHARS = 32
ENV = {
    "database_url": "PEERREPORT_DATABASE_URL",
    "secret_key": "PEERREPORT_SECRET_KEY",
    "base_url": "PEERREPORT_BASE_URL",
    "bind": "PEERREPORT_BIND",
    "port": "PEERREPORT_PORT",
    "data_dir": "PEERREPORT_DATA_DIR",
}
_SECTIONS = {
    "server": {
        "base_url",
        "bind",
        "port",
        "data_dir",
        "max_upload_mb",
        "session_hours",
        "idle_minutes",
        "login_attempts",
        "lockout_minutes",
    },
    "database": {"url"},
    "secrets": {"secret_key_file", "secret_key"},
}


@dataclass(frozen=True)
class ServerConfig:
    """One hosted peerreport: where it keeps things and how it guards them."""

    database_url: str
    secret_key: str
    base_url: str
    data_dir: Path
    bind: str = "127.0.0.1"
    port: int = 8080
    max_upload_bytes: int = 200 * 1024 * 1024
    session_hours: float = 8.0
    idle_minutes: float = 60.0
    #: Wrong passwords in a row before an account is locked for `lockout_minutes`.
    login_attempts: int = 5
    lockout_minutes: float = 15.0

    @property
    def host(self) -> str:
        """The host name people use (from `base_url`): the only Host header accepted."""
        return urlsplit(self.base_url).netloc

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry `Secure` when the public address is https (behind the TLS proxy)."""
        return self.base_url.startswith("https://")

    @property
    def orgs_dir(self) -> Path:
        """Where each organisation's folder (its workspace settings and keys) lives."""
        return self.data_dir / "orgs"

    @property
    def logs_dir(self) -> Path:
        """Where internal error logs are written."""
        return self.data_dir / "logs"


def load_config(path: Path | None, env: dict[str, str] | None = None) -> ServerConfig:
    """The configuration from `path` (if any) and the environment; a plain error when incomplete."""
    env = dict(os.environ if env is None else env)
    settings: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        settings = _read(path)
        base = path.resolve().parent
    server = settings.get("server", {})
    database = settings.get("database", {})
    secrets_ = settings.get("secrets", {})
    where = str(path) if path is not None else "the environment"

    url = env.get(ENV["database_url"]) or database.get("url")
    if not url:
        raise UsageError(
            f"{where}: no database: set [database] url, or PEERREPORT_DATABASE_URL "
            "(hosted peerreport keeps every organisation in one PostgreSQL database)"
        )
    secret = env.get(ENV["secret_key"]) or secrets_.get("secret_key")
    if not secret and secrets_.get("secret_key_file"):
        key_path = base / str(secrets_["secret_key_file"])
        try:
            secret = key_path.read_text("utf-8").strip()
        except OSError as exc:
            raise UsageError(f"{where}: cannot read the secret key file {key_path}: {exc}") from exc
    if not secret:
        raise UsageError(
            f"{where}: no secret key: set [secrets] secret_key_file, or PEERREPORT_SECRET_KEY "
            "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if len(secret) < MIN_SECRET_CHARS:
        raise UsageError(
            f"{where}: the secret key is {len(secret)} characters; use at least "
            f"{MIN_SECRET_CHARS} random characters"
        )
    base_url = (env.get(ENV["base_url"]) or server.get("base_url") or "").rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise UsageError(
            f"{where}: base_url {base_url!r} must be the address people open, like "
            "https://reports.example.org (no path)"
        )
    data_dir = env.get(ENV["data_dir"]) or server.get("data_dir")
    if not data_dir:
        raise UsageError(f"{where}: no data_dir: set [server] data_dir or PEERREPORT_DATA_DIR")
    port = _number(env.get(ENV["port"]) or server.get("port", 8080), "port", where, int)
    return ServerConfig(
        database_url=str(url),
        secret_key=str(secret),
        base_url=base_url,
        data_dir=(base / str(data_dir)).resolve(),
        bind=str(env.get(ENV["bind"]) or server.get("bind", "127.0.0.1")),
        port=int(port),
        max_upload_bytes=int(
            _number(server.get("max_upload_mb", 200), "max_upload_mb", where, float) * 1024 * 1024
        ),
        session_hours=_number(server.get("session_hours", 8), "session_hours", where, float),
        idle_minutes=_number(server.get("idle_minutes", 60), "idle_minutes", where, float),
        login_attempts=int(_number(server.get("login_attempts", 5), "login_attempts", where, int)),
        lockout_minutes=_number(server.get("lockout_minutes", 15), "lockout_minutes", where, float),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        settings = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the server configuration {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    for section, value in settings.items():
        known = _SECTIONS.get(section)
        if known is None or not isinstance(value, dict):
            raise UsageError(
                f"{path}: unknown section [{section}]; the sections are "
                + ", ".join(f"[{s}]" for s in _SECTIONS)
            )
        for key in value:
            if key not in known:
                raise UsageError(
                    f"{path}: [{section}] has no setting {key!r}; it has "
                    + ", ".join(sorted(known))
                )
    return settings


def _number(value: Any, name: str, where: str, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{where}: {name} must be a number, not {value!r}") from exc
    if number <= 0:
        raise UsageError(f"{where}: {name} must be more than 0")
    return number


__all__ = ["ServerConfig", "load_config"]
