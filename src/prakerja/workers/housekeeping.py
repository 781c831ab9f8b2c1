"""Periodic chores: selfies past their retention period are deleted."""

from __future__ import annotations

import datetime as dt
import threading

import structlog

from prakerja.storage.photos import PhotoStore

_log = structlog.get_logger("prakerja.housekeeping")


def delete_expired_photos(
    stop: threading.Event, photos: PhotoStore, every: dt.timedelta = dt.timedelta(minutes=10)
) -> None:
    """Until ``stop``: delete photos whose retention has ended, then wait ``every``."""
    while not stop.is_set():
        try:
            deleted = photos.delete_expired(dt.datetime.now(dt.UTC))
        except Exception as error:  # noqa: BLE001 - try again next round
            _log.warning("photo retention sweep failed", error_type=type(error).__name__)
        else:
            if deleted:
                _log.info("expired photos deleted", count=deleted)
        stop.wait(every.total_seconds())
