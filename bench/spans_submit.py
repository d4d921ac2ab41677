"""What a spans/claims answer costs: a 200-claim submit's checks, and agreement over a big spans field.

    .venv/bin/python -m bench.spans_submit [--submits 300] [--items 10000]

1. Submit (issue 12 target: p99 < 20 ms for validation + lint + gold score): a 22,400-character
   response with 200 claims (each with evidence) and 200 entity spans on a text, validated against
   the item (``Interface.validate_answer``), linted (``claim_without_evidence``, ``spans_same_label``)
   and scored against a gold answer that differs in a quarter of the claims
   (``quality.service.score_answer``): the work a submit adds for these fields, in process, no HTTP.
2. Agreement (target: < 5 s, off the request path): ``field_agreement`` for a spans field over
   ``--items`` items x 3 annotators x ~20 spans (each annotator drops or nudges some of a shared
   set), the way the agreement job computes it (alpha's expected disagreement sampled until its
   error is small, ``app.agreement.alpha``; the span distance vectorised:
   ``components._spans.SpanDistance.batch``). Wall and CPU seconds; then, untimed, the alpha with
   the expected disagreement over all EXPECTED_SAMPLE_PAIRS pairs, to show the sampled one
   within noise of it.
"""

from __future__ import annotations

import argparse
import random
import time

from bench.common import log, summary, write_result


def build_interface():
    from components.base import Interface

    return Interface.from_specs([
        {"name": "doc", "type": "text", "value": "$text"},
        {"name": "pr", "type": "prompt_response", "value": "$prompt", "response": "$response"},
        {"name": "entities", "type": "spans", "target": "doc", "labels": ["PER", "ORG", "LOC"], "max_spans": 500},
        {"name": "claims", "type": "claims", "target": "pr", "max_claims": 500},
    ])


def submit_case(rng: random.Random):
    sentence = "A sentence of the response. "  # 28 characters
    data = {"text": "word " * 4000, "prompt": "Explain", "response": sentence * 800}
    claims = [{"start": i * 112, "end": i * 112 + 27, "verdict": rng.choice(["supported", "contradicted"]),
               "severity": "minor", "evidence": [{"url": f"https://example.org/source/{i}", "quote": "quoted"}]}
              for i in range(200)]
    spans = [{"label": rng.choice(["PER", "ORG", "LOC"]), "start": i * 100, "end": i * 100 + 40} for i in range(200)]
    gold = {"entities": [dict(s) for s in spans],
            "claims": {"claims": [dict(c, verdict="unverifiable") if i % 4 == 0 else dict(c)
                                  for i, c in enumerate(claims)]}}
    return data, {"entities": spans, "claims": {"claims": claims}}, gold


def bench_submit(count: int) -> dict:
    from app.quality.linters import LintContext, run_linters, validate_rules
    from app.quality.service import score_answer

    interface = build_interface()
    rules = validate_rules([{"type": "claim_without_evidence", "field": "claims"},
                            {"type": "spans_same_label", "field": "entities", "min_count": 3}], interface)
    data, both, gold = submit_case(random.Random(1))
    gold_clean, problems = interface.validate_answer(gold, data)
    assert not problems, problems
    out: dict = {}
    # The case: 200 claims (the spans field answered "nothing to mark"); then 200 spans as well.
    for name, answer in (("claims_200", {**both, "entities": []}), ("claims_200_and_spans_200", both)):
        timings, score = [], None
        for n in range(count):
            began = time.perf_counter()
            clean, errors = interface.validate_answer(answer, data, n + 1)
            run_linters(rules, clean, LintContext(item_data=data), interface)
            score = score_answer(interface, clean, gold_clean)
            timings.append(time.perf_counter() - began)
            assert not errors, errors
        out[name] = {"submit": summary(timings), "gold_score": round(score, 4)}
    return out


def agreement_case(items: int, rng: random.Random) -> list[tuple]:
    triples = []
    for item in range(items):
        shared, at = [], 0
        for _ in range(20):
            at += rng.randint(1, 50)
            length = rng.randint(3, 30)
            shared.append({"label": rng.choice(["PER", "ORG", "LOC"]), "start": at, "end": at + length})
            at += length
        for annotator in range(3):
            answer = [dict(s) for s in shared if rng.random() > 0.1]
            for span in answer:
                if rng.random() < 0.2:
                    span["end"] = max(span["start"] + 1, span["end"] + rng.randint(-2, 2))
            triples.append((item, f"a{annotator}", answer))
    return triples


def bench_agreement(items: int) -> dict:
    from app.agreement.statistics import field_agreement

    measure = build_interface().by_name["entities"].measures()[0]
    triples = agreement_case(items, random.Random(2))
    wall, cpu = time.perf_counter(), time.process_time()
    report = field_agreement(triples, measure.level, distance=measure.distance)
    out = {"items": items, "answers": len(triples), "wall_s": round(time.perf_counter() - wall, 2),
           "cpu_s": round(time.process_time() - cpu, 2), "alpha": report["krippendorff_alpha"],
           "expected_estimated": report["alpha_expected_disagreement_estimated"]}
    from app.agreement import alpha as alpha_module

    target, alpha_module.ALPHA_SAMPLING_ERROR = alpha_module.ALPHA_SAMPLING_ERROR, 0.0  # never stop early
    try:
        full = field_agreement(triples, measure.level, distance=measure.distance)
    finally:
        alpha_module.ALPHA_SAMPLING_ERROR = target
    out[f"alpha_{alpha_module.EXPECTED_SAMPLE_PAIRS}_pairs"] = full["krippendorff_alpha"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    log(f"submit: 200 claims + 200 spans, {args.submits} times")
    result = bench_submit(args.submits)
    for name, figures in result.items():
        log(f"submit {name}: {figures['submit']}")
    log(f"agreement: {args.items} items x 3 annotators x ~20 spans")
    result["agreement"] = bench_agreement(args.items)
    log(f"agreement {result['agreement']}")
    path = write_result("spans_submit", "in-process", result)
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
