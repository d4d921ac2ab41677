"""Claims: claim-level fact-checking on a shown response or text.

``{claims: [{start, end, text, verdict, severity, evidence: [{url, quote}]}]}``: each claim is a
span of the target text (offsets, matching and distance as ``components._spans``) with a verdict
from a configured set, an optional severity from a configured scale, and evidence links
(http or https only). The gold score and agreement match claims by span and verdict.
"""

from __future__ import annotations

from typing import Any, Mapping
import re

from components import _spans
from components._checks import config_bool
from components._span_labels import SpanLabels
from components._span_field import SpanField
from components.base import AnswerContext, AnswerError, Component, ConfigError, LintRule
from components.claims.label import claims_label

DEFAULT_VERDICTS = ["supported", "contradicted", "unverifiable", {"value": "not_a_claim", "label": "not a claim"}]
DEFAULT_SEVERITIES = ["minor", "major", "critical"]
#: Verdicts ``claim_without_evidence`` asks evidence for, unless the rule says otherwise.
DEFAULT_NEEDS_EVIDENCE = ("supported", "contradicted")
CLAIM_KEYS = frozenset({"start", "end", "text", "verdict", "severity", "evidence"})
EVIDENCE_KEYS = frozenset({"url", "quote"})
MAX_EVIDENCE = 20
MAX_URL = 2000
MAX_QUOTE = 5000
#: http or https, a host, no whitespace anywhere (evidence links are opened by reviewers).
_HTTP_URL = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)


class Claims(SpanField):
    type = "claims"
    description = "Claim-level fact-checking: each claim a span with a verdict, a severity and evidence"
    match_key = "verdict"
    noun = "claim"

    def configure(self, config: Mapping[str, Any]) -> None:
        self.verdicts = SpanLabels(config.get("verdicts", DEFAULT_VERDICTS), "verdicts")
        raw = config.get("severities", DEFAULT_SEVERITIES)
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) and s.strip() for s in raw):
            raise ConfigError("severities must be a non-empty list of names, mildest first")
        if len(set(raw)) != len(raw):
            raise ConfigError("severities: a name appears twice")
        self.severities: list[str] = list(raw)
        self.severity_required = config_bool(config, "severity_required", False)
        self.min_claims, self.max_claims = _spans.config_count_range(config, "claims")
        self.iou_threshold = _spans.config_threshold(config)

    def config(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"verdicts": self.verdicts.to_config(), "severities": list(self.severities),
                                "severity_required": self.severity_required, "iou_threshold": self.iou_threshold}
        if self.min_claims:
            spec["min_claims"] = self.min_claims
        if self.max_claims is not None:
            spec["max_claims"] = self.max_claims
        return spec

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        schema = super().config_schema()
        schema["properties"].update({
            "target": {"type": "string", "description": "the prompt_response or text part claims are marked on"},
            "required": {"type": "boolean"},
            "verdicts": {"type": "array", "minItems": 1, "default": DEFAULT_VERDICTS},
            "severities": {"type": "array", "items": {"type": "string"}, "minItems": 1, "default": DEFAULT_SEVERITIES},
            "severity_required": {"type": "boolean", "default": False},
            "min_claims": {"type": "integer", "minimum": 0}, "max_claims": {"type": "integer", "minimum": 1},
            "iou_threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5}})
        schema["required"] = ["name", "type", "target"]
        return schema

    @classmethod
    def answer_schema(cls) -> dict[str, Any]:
        evidence = {"type": "object", "properties": {"url": {"type": "string", "format": "uri"},
                                                     "quote": {"type": "string"}},
                    "required": ["url"], "additionalProperties": False}
        claim = {"type": "object", "properties": {
            "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer"}, "text": {"type": "string"},
            "verdict": {"type": "string"}, "severity": {"type": ["string", "null"]},
            "evidence": {"type": "array", "items": evidence, "maxItems": MAX_EVIDENCE}},
            "required": ["start", "end", "verdict"], "additionalProperties": False}
        return {"type": "object", "properties": {"claims": {"type": "array", "items": claim}},
                "required": ["claims"], "additionalProperties": False}

    # -- answers ------------------------------------------------------------
    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def validate(self, value: Any) -> dict[str, Any]:
        return self.check(value, None)

    def validate_in(self, value: Any, context: AnswerContext) -> dict[str, Any]:
        return self.check(value, _spans.target_text(self.target, context))

    def check(self, value: Any, text: str | None) -> dict[str, Any]:
        """Every claim checked (errors name it: ``claims[2].end: beyond the text (412 characters)``)."""
        if isinstance(value, list):  # the bare list is accepted for the object it stands for
            value = {"claims": value}
        if not isinstance(value, Mapping) or "claims" not in value:
            raise AnswerError("must be an object with a list of claims")
        unknown = [str(key) for key in value if key != "claims"]
        if unknown:
            raise AnswerError(f"unknown key {unknown[0]!r}; the answer holds claims")
        where_all = "claims"
        items = _spans.check_list(value["claims"], where_all, self.min_claims, self.max_claims, self.noun)
        clean: list[dict[str, Any]] = []
        positions: list[tuple[int, int, int]] = []
        for position, raw in enumerate(items):
            where = f"{where_all}[{position}]"
            claim = _spans.check_unknown(raw, where, CLAIM_KEYS)
            start, end = _spans.check_offsets(claim, where, text)
            if claim.get("verdict") is None:
                raise AnswerError(f"{where}.verdict: is missing")
            verdict = self.verdicts.check(claim["verdict"], f"{where}.verdict")
            severity = claim.get("severity")
            if severity in (None, ""):
                if self.severity_required:
                    raise AnswerError(f"{where}.severity: is missing")
                severity = None
            elif severity not in self.severities:
                raise AnswerError(f"{where}.severity: must be one of: {', '.join(self.severities)}")
            out: dict[str, Any] = {"start": start, "end": end}
            quote = _spans.check_quote(claim, where, text, start, end)
            if quote is not None:
                out["text"] = quote
            out.update(verdict=verdict, severity=severity, evidence=_evidence(claim.get("evidence"), where))
            clean.append(out)
            positions.append((start, end, position))
        # Claims never overlap: one stretch of text is one claim with one verdict.
        positions.sort()
        _spans.check_no_overlap(positions, where_all)
        clean.sort(key=_spans.order_key)
        return {"claims": clean}

    # -- export -------------------------------------------------------------
    def export_label(self, values: list[Any]) -> tuple[dict[str, Any], float] | None:
        """The claims most answers marked, each with its majority verdict (``components/claims/label.py``)."""
        return claims_label(values, self.marks, self.iou_threshold, self.severities)

    # -- widget -------------------------------------------------------------
    @staticmethod
    def marks(value: Any) -> list[Any]:
        """The claims an answer holds (``{claims: [...]}``, or the bare list)."""
        return _claims_of(value)

    def widget_config(self) -> dict[str, Any]:
        return {"target": self.target, "overlapping": False, "kind": "claims", "severities": self.severities,
                "labels": [{"value": v.value, "label": v.label, "hotkey": v.hotkey} for v in self.verdicts]}


def _claims_of(value: Any) -> list[Any]:
    claims = value.get("claims") if isinstance(value, Mapping) else value
    return claims if isinstance(claims, list) else []


def _evidence(raw: Any, where: str) -> list[dict[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise AnswerError(f"{where}.evidence: must be a list of {{url, quote}}")
    if len(raw) > MAX_EVIDENCE:
        raise AnswerError(f"{where}.evidence: at most {MAX_EVIDENCE}")
    out = []
    for position, item in enumerate(raw):
        here = f"{where}.evidence[{position}]"
        item = _spans.check_unknown(item, here, EVIDENCE_KEYS)
        url = item.get("url")
        if not isinstance(url, str) or not url.strip():
            raise AnswerError(f"{here}.url: is missing")
        url = url.strip()
        if len(url) > MAX_URL:
            raise AnswerError(f"{here}.url: at most {MAX_URL} characters")
        if not _HTTP_URL.fullmatch(url):
            raise AnswerError(f"{here}.url: must be an http or https address")
        quote = item.get("quote")
        if quote is not None and not isinstance(quote, str):
            raise AnswerError(f"{here}.quote: must be text")
        if quote and len(quote) > MAX_QUOTE:
            raise AnswerError(f"{here}.quote: at most {MAX_QUOTE} characters")
        entry = {"url": url}
        if quote and quote.strip():
            entry["quote"] = quote.strip()
        out.append(entry)
    return out


def _check_without_evidence(params: Mapping[str, Any], component: Component) -> dict[str, Any]:
    configured = component.verdicts.values  # type: ignore[attr-defined]
    raw = params.get("verdicts")
    if raw is None:
        return {"verdicts": [v for v in DEFAULT_NEEDS_EVIDENCE if v in configured] or configured[:1]}
    if not isinstance(raw, list) or not raw:
        raise ConfigError("verdicts must be a non-empty list of the field's verdicts")
    for verdict in raw:
        if verdict not in configured:
            raise ConfigError(f"verdicts: {verdict!r} is not a verdict of the field")
    return {"verdicts": list(dict.fromkeys(raw))}


def _run_without_evidence(params: Mapping[str, Any], component: Component, value: Any, context: Any) -> str | None:
    wanted = params["verdicts"]
    for position, claim in enumerate(_claims_of(value)):
        if isinstance(claim, Mapping) and claim.get("verdict") in wanted and not claim.get("evidence"):
            quote = claim.get("text") or ""
            shown = f" (“{quote[:40]}{'…' if len(quote) > 40 else ''}”)" if quote else ""
            return f"claims[{position}]{shown}: {claim['verdict']} but no evidence"
    return None


Claims.lint_rules = {
    "claim_without_evidence": LintRule(
        params=frozenset({"verdicts"}), check=_check_without_evidence, run=_run_without_evidence,
        description="a claim with one of the verdicts (default supported, contradicted) gives no evidence"),
}

COMPONENT = Claims
