"""The guideline-gap report as a reader receives it: annotators named for ops, pseudonymous otherwise."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.agreement.models import AgreementSnapshot
from app.agreement.people import display_names
from app.models_base import iso


async def gaps_for_reader(session: AsyncSession, project_id: int, row: AgreementSnapshot | None, *, named: bool,
                          secret: str) -> dict[str, Any]:
    gaps = copy.deepcopy((row.report if row else {}).get("gaps") or {})
    contributors = gaps.get("contributors") or []
    names = await display_names(session, project_id, {str(c["annotator"]) for c in contributors}, named=named,
                                secret=secret)
    for entry in contributors:
        entry["annotator"] = names[str(entry["annotator"])]
    return gaps | {"computed_at": iso(row.computed_at) if row else None, "answers": row.answers if row else 0}
