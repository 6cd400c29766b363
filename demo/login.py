"""The demo administrator, whose password is made at random on the first run and kept in ``.demo-login``.

The file (mode 600, git-ignored) is the source of truth: later runs read it and set the user's password to
match, so the login printed by ``make run`` always works.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model

USERNAME = "admin"
EMAIL = "admin@example.org"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    path: Path


def read_password(path: Path) -> str | None:
    """The password stored in ``path``, or None when there is no file or no password in it."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "password" and value.strip():
            return value.strip()
    return None


def write_password(path: Path, password: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(
            "# The demo administrator's login, made by `manage.py load_demo`. Development only.\n"
            f"username: {USERNAME}\npassword: {password}\n"
        )


def ensure_demo_admin(path: Path, log=lambda message: None):
    """Make sure the superuser ``admin`` exists with the password in ``path``; return (user, login)."""
    password = read_password(path)
    if password is None:
        password = secrets.token_urlsafe(12)
        write_password(path, password)
        log(f"Wrote a new demo password to {path}")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # the file holds a password: only its owner may read it

    User = get_user_model()
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_superuser(USERNAME, EMAIL, password)
        log(f"Created the demo administrator {USERNAME!r}")
    else:
        changed = []
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        for flag in ("is_active", "is_staff", "is_superuser"):
            if not getattr(user, flag):
                setattr(user, flag, True)
                changed.append(flag)
        if changed:
            user.save()
            log(f"Updated the demo administrator {USERNAME!r}: {', '.join(changed)}")
    return user, DemoLogin(USERNAME, password, path)


def access_lines(login: DemoLogin, port: str | None = None) -> list[str]:
    """Where to go and how to sign in, for the end of the command's output."""
    port = port or os.environ.get("PORT") or "8000"
    base = f"http://127.0.0.1:{port}"
    return [
        f"Site:  {base}/",
        f"Admin: {base}/admin/",
        f"Login: {login.username} / {login.password}   (kept in {login.path})",
    ]
