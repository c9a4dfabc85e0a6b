"""`python -m pyrunlog` runs the CLI."""

from pyrunlog.cli import main

main()
