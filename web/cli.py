"""The ``kamflow`` entry point: the engine's commands plus those that serve the web app."""
from __future__ import annotations

import click

from engine.cli import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int):
    """Serve the web app (development server; use a WSGI server in production)."""
    from web import create_app

    create_app().run(host=host, port=port)


def main() -> None:
    cli(prog_name="kamflow")


if __name__ == "__main__":
    main()
