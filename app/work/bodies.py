"""Request bodies of the work API (see ``app.web.bodies``)."""

from __future__ import annotations

from typing import Any

from app.web.bodies import Body


class Submission(Body):
    answer: dict[str, Any]  # field name: value, checked against the project's interface
