"""Jinja2 set-up: page templates by slice in templates/, widgets in components/."""

from __future__ import annotations

import json

from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from app.config import ROOT
from app.models_base import iso
from app.web.markdown import render_markdown
from app.web.rich import highlight, rich_markdown


def _tojson_attr(value) -> Markup:
    """JSON for an HTML attribute value (escaped by autoescape when used in quotes)."""
    return json.dumps(value, separators=(",", ":"), default=str)


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["markdown"] = render_markdown
    env.filters["rich_markdown"] = rich_markdown  # display parts: fenced code highlighted
    env.filters["highlight"] = highlight
    env.filters["iso"] = iso
    env.filters["json_attr"] = _tojson_attr
    env.globals["asset_version"] = "1"


def template_config() -> TemplateConfig:
    return TemplateConfig(directory=[ROOT / "templates", ROOT / "components"], engine=JinjaTemplateEngine,
                          engine_callback=_configure)


def standalone_templates() -> JinjaTemplateEngine:
    """The same templates outside a request (CLI, workers)."""
    config = template_config()
    return config.to_engine()
