"""The ``prakerja`` command: its group, and the modules that add the subcommands to it."""

from __future__ import annotations

from prakerja.cli import programme, projections, service, tools
from prakerja.cli.common import CliError, main

__all__ = ["CliError", "main", "programme", "projections", "service", "tools"]
