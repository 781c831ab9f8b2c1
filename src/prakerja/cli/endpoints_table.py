"""``docs/endpoints.md`` from a throwaway service (``prakerja endpoints``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import SecretStr

from prakerja.api.app import create_app
from prakerja.api.endpoints_doc import render
from prakerja.bootstrap import bootstrap
from prakerja.security.keys import new_cipher_key
from prakerja.settings import Mode, Settings


def render_for_docs() -> str:
    """The table from a throwaway in-memory service (nothing is read from the environment
    that would change it: the routes and their roles are code)."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            mode=Mode.DEVELOPMENT,
            data_dir=Path(folder),
            cipher_key=SecretStr(new_cipher_key()),
            token_secret=SecretStr(new_cipher_key()),
        )
        container = bootstrap(settings, in_memory=True)
        try:
            return render(create_app(container))
        finally:
            container.close()
