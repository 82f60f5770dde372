"""``kamflow serve``: the app under gunicorn (a pre-fork production server), or Flask's
development server with its reloader for ``--dev``.

Each gunicorn worker builds its own app after the fork (no preloading), so no database
connection is shared between processes. Beside the web server, one job worker process
(``kamflow worker``, SPEC §5.3) runs unless ``--no-worker``; it stops with the server.
"""
from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager

from gunicorn.app.base import BaseApplication

DEFAULT_WORKERS = min(4, max(2, os.cpu_count() or 1))


class KamflowServer(BaseApplication):
    """gunicorn's arbiter and workers, configured from ``kamflow serve``'s options."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__(prog="kamflow serve")

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from web import create_app

        return create_app()


def serve(host: str, port: int, workers: int = DEFAULT_WORKERS, dev: bool = False,
          job_worker: bool = True) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM), with a job worker beside unless told not."""
    from engine.config import instance_path, load_settings
    from web.secret import secret_key

    if not load_settings().secret_key:
        secret_key(instance_path())        # made once here, read by every worker
    # Flask's reloader runs this again in its child process: the worker starts once, here.
    in_reloader_child = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    with job_worker_process(job_worker and not in_reloader_child):
        if dev:
            from web import create_app

            create_app().run(host=host, port=port, debug=True, use_reloader=True)
            return
        KamflowServer({
            "bind": f"{_bracketed(host)}:{port}",
            "workers": workers,
            "worker_class": "sync",
            "timeout": 120,
            "graceful_timeout": 20,
            "accesslog": "-",
            "errorlog": "-",
        }).run()


@contextmanager
def job_worker_process(wanted: bool = True):
    """A ``kamflow worker`` child process for the duration of the block (none if not
    ``wanted``); asked to stop at the end (it finishes the job at hand), killed if it won't."""
    if not wanted:
        yield None
        return
    child = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"])
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
