"""The pyrunlog command line (`pyrunlog`, `python -m pyrunlog`)."""

from pyrunlog.cli.main import cli, main

__all__ = ["cli", "main"]
