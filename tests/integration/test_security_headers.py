"""Every response carries the security headers; pages carry the Content-Security-Policy.

What the policy forbids (inline script, inline style, eval) is checked on every page each role can
open by the access matrix (test_access_matrix.py), and in a real browser by tests/e2e.
"""

from __future__ import annotations

import httpx
import pytest

ALWAYS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}
POLICY = ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' https: data:", "media-src 'self' https:",
          "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
          "frame-ancestors 'none'")


def assert_headers(response: httpx.Response, *, policy: bool = True) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    for name, value in ALWAYS.items():
        assert response.headers.get_list(name) == [value], f"{where}: {name} is {response.headers.get_list(name)}"
    csp = response.headers.get_list("content-security-policy")
    if policy:
        assert len(csp) == 1, f"{where}: Content-Security-Policy {csp}"
        assert set(POLICY) <= {part.strip() for part in csp[0].split(";")}, f"{where}: {csp[0]}"
        assert "unsafe-inline" not in csp[0] and "unsafe-eval" not in csp[0], f"{where}: {csp[0]}"
    else:
        assert csp == [], f"{where}: {csp}"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/login", 200),  # a page
    ("GET", "/", 302),  # a redirect to sign in (anonymous)
    ("GET", "/projects/1/board", 302),
    ("GET", "/static/app.css", 200),  # static files
    ("GET", "/healthz", 200),
    ("GET", "/api/v1/me", 401),  # the API, refusing
    ("POST", "/api/v1/auth/token", 422),  # invalid input
    ("GET", "/no/such/page", 404),  # the router's own 404
    ("DELETE", "/login", 405),  # and 405
    ("POST", "/login", 403),  # CSRF refusal
])
async def test_every_response_carries_the_headers(server, method, path, status):
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False) as anon:
        response = await anon.request(method, path)
    assert response.status_code == status, response.text[:300]
    assert_headers(response)


async def test_signed_in_pages_and_api_carry_them(browser, ops, new_project):
    project = await new_project()
    assert_headers(await browser.get(f"/projects/{project['id']}"))
    assert_headers(await ops.get(f"/projects/{project['id']}"))


async def test_the_api_documentation_has_no_policy_but_the_other_headers(server):
    """Litestar's documentation pages load their viewers from CDNs with an inline start-up script."""
    async with httpx.AsyncClient(base_url=server.url) as anon:
        for path in ("/schema/swagger", "/schema/openapi.json"):
            response = await anon.get(path)
            assert response.status_code == 200
            assert_headers(response, policy=False)
