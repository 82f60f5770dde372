"""Shared fixture for the customer clean-up CLI tests."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from web.cli import cli


@pytest.fixture
def run(engine):
    """Invoke ``kamflow customers …`` on the test database (the CLI disposes its engine)."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["customers", *args], catch_exceptions=False)

    return invoke
