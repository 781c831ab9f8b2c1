"""One composition root: every client of every process is configured from the same
place, and the container's parts are typed fields rather than a bag of extras."""

from __future__ import annotations

from dataclasses import fields

from prakerja.container import Container, client_configs


def test_each_external_service_is_configured_once_from_the_settings(container: Container) -> None:
    urls = container.settings.services
    configs = container.client_configs
    assert configs == client_configs(container.settings)
    for service in ("civil_registry", "education", "email", "sms", "exclusions", "payments"):
        config = getattr(configs, service)
        assert config.base_url == getattr(urls, service)
        assert (config.connect_timeout_s, config.read_timeout_s, config.retry_attempts) == (
            urls.connect_timeout_s,
            urls.read_timeout_s,
            urls.retry_attempts,
        )


def test_the_container_has_no_untyped_extras() -> None:
    assert "extras" not in {field.name for field in fields(Container)}
