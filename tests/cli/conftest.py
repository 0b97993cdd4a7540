from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from service.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Outcome:
    """The `optiscope` command in this process; usage errors argparse raises become their exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(list(argv), stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return Outcome(code, out.getvalue(), err.getvalue())


@pytest.fixture
def optiscope():
    return run_cli
