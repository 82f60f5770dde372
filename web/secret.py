"""The signing key of sessions and CSRF tokens when none is configured.

Every worker process of one installation must sign with the same key, or a session made by
one worker is refused by the next. Without ``KAMFLOW_SECRET_KEY`` the key is generated once
into ``instance/secret_key`` (readable by its owner only) and read from there afterwards.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

FILE_NAME = "secret_key"
MIN_LENGTH = 32


def secret_key(instance: Path) -> str:
    """The key kept in ``instance/secret_key``, created by whichever process comes first."""
    path = instance / FILE_NAME
    if not path.exists():
        _create(path)
    key = path.read_text().strip()
    if len(key) < MIN_LENGTH:
        raise RuntimeError(f"{path}: the secret key is shorter than {MIN_LENGTH} characters; "
                           "delete the file or set KAMFLOW_SECRET_KEY")
    return key


def _create(path: Path) -> None:
    """Write a new key beside ``path`` and link it into place: a process that loses the race
    reads the winner's complete file, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(descriptor, "w") as file:     # mkstemp makes it 0600
            file.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
