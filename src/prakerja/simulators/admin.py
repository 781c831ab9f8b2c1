"""Test and demo hooks of the simulators: faults, registry photos, read-back of messages."""

from __future__ import annotations

from typing import Any

import httpx

from prakerja.simulators.config import SERVICES, FaultConfig
from prakerja.simulators.server import SimulatorUrls


class SimulatorAdmin:
    def __init__(self, urls: SimulatorUrls, *, timeout_s: float = 5.0) -> None:
        self._urls = urls
        self._http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def set_faults(self, service: str, faults: FaultConfig) -> None:
        """Replace a service's faults now; outage windows count from this call."""
        response = self._http.put(
            f"{self._urls.of(service)}/_admin/faults", json=faults.model_dump(mode="json")
        )
        response.raise_for_status()

    def clear_faults(self) -> None:
        for service in SERVICES:
            self.set_faults(service, FaultConfig())

    def set_photo(self, nik: str, content: bytes, media_type: str = "image/jpeg") -> str:
        """Make ``content`` the registry photo of ``nik``; returns its photo reference."""
        response = self._http.put(
            f"{self._urls.dukcapil}/_admin/photos/{nik}",
            content=content,
            headers={"content-type": media_type},
        )
        response.raise_for_status()
        photo_ref: str = response.json()["photo_ref"]
        return photo_ref

    def sms_sent_to(self, phone: str) -> list[dict[str, Any]]:
        return self._messages("sms", phone)

    def emails_sent_to(self, address: str) -> list[dict[str, Any]]:
        return self._messages("email", address)

    def _messages(self, service: str, to: str) -> list[dict[str, Any]]:
        response = self._http.get(f"{self._urls.of(service)}/messages", params={"to": to})
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages
