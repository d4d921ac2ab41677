"""Pure pieces the pages rely on: safe markdown, database URLs, sparklines, due dates."""

from datetime import UTC, datetime

import pytest

from app.board.sparkline import sparkline_points
from app.config import normalise_database_url
from app.errors import Invalid
from app.projects.service import parse_due
from app.web.markdown import render_markdown


def test_markdown_renders_formatting_but_never_raw_html_or_script_links():
    html = render_markdown("# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html


@pytest.mark.parametrize("given, expected", [
    ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+asyncpg://u@h:5432/db"),
    ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
    ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
])
def test_database_urls_get_async_drivers(given, expected):
    assert normalise_database_url(given) == expected


def test_sparkline_scales_to_the_busiest_minute():
    points = sparkline_points([0, 5, 10], width=100, height=20).split()
    assert points[0] == "0.0,19.0" and points[2] == "100.0,1.0"
    assert points[1].startswith("50.0,")
    assert sparkline_points([]) == ""


def test_due_dates_accept_iso_and_refuse_anything_else():
    assert parse_due("2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_due("2026-12-01T17:00:00Z") == datetime(2026, 12, 1, 17, tzinfo=UTC)
    assert parse_due("") is None
    with pytest.raises(Invalid) as refused:
        parse_due("next friday")
    assert "due" in refused.value.errors


def test_agreement_refreshes_no_more_often_than_its_cost_allows():
    from datetime import timedelta

    from app.agreement.models import AgreementSnapshot
    from app.agreement.service import refresh_due
    from app.models_base import utcnow

    now = utcnow()
    assert refresh_due(None, 5, now) and not refresh_due(None, 0, now)
    cheap = AgreementSnapshot(project_id=1, watermark=4, duration_ms=200, computed_at=now - timedelta(seconds=11))
    assert refresh_due(cheap, 5, now)  # 10 s floor passed
    assert not refresh_due(cheap, 4, now)  # nothing new
    costly = AgreementSnapshot(project_id=1, watermark=4, duration_ms=8000, computed_at=now - timedelta(seconds=30))
    assert not refresh_due(costly, 5, now)  # 8 s of work: at most every 80 s
    assert refresh_due(costly.model_copy(update={"computed_at": now - timedelta(seconds=81)}), 5, now)
