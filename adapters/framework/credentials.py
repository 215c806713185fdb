"""The HTTP basic-auth credentials every REST or SOAP adapter is configured with, checked one way.

A password comes from the environment or, better, from a file (a mounted secret), never both, and
never without the user it belongs to; an address that is set needs both. A secret file that group
or others may read is refused: the secret may already have leaked, and the operator should know.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from messaging.private_files import exposed


def check_basic_auth(prefix: str, label: str, address_env: str, address: str | None, username: str | None,
                     password: SecretStr | None, password_file: Path | None) -> None:
    """`prefix`: the settings' env prefix (GXPLINK_MES); `label`: the system in words (MES)."""
    if password is not None and password_file is not None:
        raise ValueError(f"set {prefix}_PASSWORD or {prefix}_PASSWORD_FILE, not both")
    has_password = password is not None or password_file is not None
    if address and not (username and has_password):
        raise ValueError(f"{address_env} is set: {prefix}_USERNAME and {prefix}_PASSWORD (or "
                         f"{prefix}_PASSWORD_FILE) are required too")
    if has_password and not username:
        raise ValueError(f"a {label} password is set but {prefix}_USERNAME is not")


def read_password(prefix: str, password: SecretStr | None, password_file: Path | None) -> str | None:
    """The password, read from the file when one is named (without its trailing newline)."""
    if password_file is not None:
        return read_secret_file(password_file, f"{prefix}_PASSWORD_FILE").rstrip("\r\n")
    return password.get_secret_value() if password is not None else None


def read_secret_file(path: Path, setting: str) -> str:
    """The file's text, if others may not read it (`messaging.private_files`: 0600, or 0440 from a Secret)."""
    try:
        problem = exposed(path)
        if problem:
            raise ValueError(f"{setting}: {problem}")
        return path.read_text()
    except OSError as exc:
        raise ValueError(f"{setting} {path}: {exc.strerror}") from None


def check_http_url(env: str, url: str | None, prefix: str) -> None:
    """An address must be http(s) and must not carry the credentials (they have settings of their own)."""
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{env} must be an http(s) URL, not {parts.scheme or 'a path'}")
    if parts.username or parts.password:
        raise ValueError(f"{env} must not carry credentials: use {prefix}_USERNAME and {prefix}_PASSWORD(_FILE)")
