"""The page policy lets media through from where items may name them, and nothing else."""

from __future__ import annotations

from app.config import Settings
from app.web.security_headers import content_security_policy


def directives(settings: Settings) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in content_security_policy(settings).split(";"))
    return {name: value for name, value in parts}


def test_images_and_media_may_come_from_https_addresses_but_scripts_only_from_us():
    policy = directives(Settings(secret_key="x" * 32))
    assert policy["img-src"] == "'self' https: data:"
    assert policy["media-src"] == "'self' https:"
    assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"


def test_the_s3_endpoint_media_are_presigned_on_is_allowed_even_over_plain_http():
    settings = Settings(secret_key="x" * 32, media_url="s3://bucket/media", media_s3_endpoint="http://10.0.0.5:8333/")
    policy = directives(settings)
    assert policy["img-src"] == "'self' https: http://10.0.0.5:8333 data:"
    assert policy["media-src"] == "'self' https: http://10.0.0.5:8333"
    assert "10.0.0.5" not in policy["script-src"] + policy["connect-src"] + policy["default-src"]


def test_an_endpoint_without_s3_media_adds_nothing():
    settings = Settings(secret_key="x" * 32, media_s3_endpoint="http://10.0.0.5:8333")
    assert "10.0.0.5" not in content_security_policy(settings)
