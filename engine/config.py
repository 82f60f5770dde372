"""Settings from the environment and ``instance/config.py``; nothing else is read."""
from __future__ import annotations

import os
import runpy
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InvalidInput, Problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PACK_PATH = PROJECT_ROOT


def instance_path() -> Path:
    """The instance folder: ``KAMFLOW_INSTANCE_PATH`` or ``instance/`` beside the packages."""
    return Path(os.environ.get("KAMFLOW_INSTANCE_PATH", PROJECT_ROOT / "instance"))


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str = "Asia/Shanghai"
    secret_key: str | None = None
    # How long a command waits for another's write lock on SQLite before it gives up.
    busy_timeout: float = 30.0
    # The language of titles and messages for users who have not chosen one.
    default_locale: str = "zh"
    # How long a report's figures are kept for the next reader while the data is unchanged
    # (``engine.reports.cache``); 0 computes every report on every request.
    report_keep_seconds: float = 900.0
    instance: Path = field(default_factory=instance_path)
    extra: dict = field(default_factory=dict)


def _file_settings(folder: Path) -> dict:
    """Upper-case names of ``instance/config.py``, a file the operator owns like Flask's."""
    path = folder / "config.py"
    if not path.is_file():
        return {}
    values = runpy.run_path(str(path))
    return {k: v for k, v in values.items() if k.isupper()}


def _seconds(name: str, value) -> float:
    """A setting that is a number of seconds, refused with its name when it is not one."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:
        raise InvalidInput([Problem(file="settings", path=f"KAMFLOW_{name}",
                                    message=f"expected a number of seconds, got {value!r}")],
                           "settings")
    return seconds


def load_settings(**overrides) -> Settings:
    """Environment first, then ``instance/config.py``, then defaults; ``overrides`` win."""
    folder = instance_path()
    from_file = _file_settings(folder)

    def pick(name: str, default=None):
        env = os.environ.get(f"KAMFLOW_{name}")
        return env if env not in (None, "") else from_file.get(name, default)

    default_url = f"sqlite:///{folder / 'kamflow.db'}"
    values = dict(
        database_url=pick("DATABASE_URL", default_url),
        timezone=pick("TIMEZONE", "Asia/Shanghai"),
        secret_key=pick("SECRET_KEY"),
        busy_timeout=_seconds("BUSY_TIMEOUT_SECONDS", pick("BUSY_TIMEOUT_SECONDS", 30.0)),
        default_locale=pick("DEFAULT_LOCALE", "zh"),
        report_keep_seconds=_seconds("REPORT_KEEP_SECONDS",
                                     pick("REPORT_KEEP_SECONDS", 900.0)),
        instance=folder,
        extra=from_file,
    )
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
