"""Which store a command uses, named by one string that can cross a process boundary.

`sqlite:///abs/path/journal.db` (the local default) or `dynamodb://TABLE?region=REGION`
(shared by a team). The chaos experiment's child process opens the same store from it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from drctl.aws.clients import ClientFactory
from drctl.core.errors import InvalidInput
from drctl.store.base import Store
from drctl.store.dynamodb import DynamoStore
from drctl.store.sqlite import SqliteStore


def store_url(state_dir: Path, state: str | None) -> str:
    return state or f"sqlite://{(state_dir / 'journal.db').resolve()}"


def open_store(url: str, factory: ClientFactory) -> Store:
    """Open (and for DynamoDB, create if needed) the store `url` names."""
    if url.startswith("sqlite://"):
        return _open_sqlite(Path(url.removeprefix("sqlite://")))
    table, region = parse_dynamodb_url(url)
    store = DynamoStore(factory.client("dynamodb", region), table)
    store.create_table()
    store.migrate()
    return store


def _open_sqlite(path: Path) -> Store:
    """An unusable state directory is the operator's input, not a crash (exit 2)."""
    hint = "choose another with --state-dir DIR (or DRCTL_STATE_DIR)"
    try:
        return SqliteStore(path)
    except OSError as exc:
        where = exc.filename or path.parent
        raise InvalidInput(f"state directory {path.parent}: cannot use {where}: "
                           f"{exc.strerror or exc}", hint=hint) from None
    except sqlite3.OperationalError as exc:
        raise InvalidInput(f"cannot open the journal {path}: {exc}", hint=hint) from None


def parse_dynamodb_url(url: str) -> tuple[str, str]:
    """`dynamodb://TABLE?region=R` -> (TABLE, R). InvalidInput for anything else."""
    parsed = urlparse(url)
    region = parse_qs(parsed.query).get("region", [os.environ.get("AWS_DEFAULT_REGION", "")])[0]
    if parsed.scheme != "dynamodb" or not parsed.netloc or not region:
        raise InvalidInput(f"--state {url!r}: use dynamodb://TABLE?region=REGION")
    return parsed.netloc, region
