"""Request bodies of the quality API (see ``app.web.bodies``)."""

from __future__ import annotations

from app.quality.models import StandingState
from app.web.bodies import Body


class StandingOverride(Body):
    state: StandingState  # qualified (reinstate), removed or pending_gate (re-gate)
    reason: str  # the contributor reads it
