"""The second demo program: "Assistant answer grading" — a prompt, two model responses, the better
one picked, the first graded on a rubric and its factual claims checked, with its own gold and
guidelines, so a newcomer sees frontier work at once."""

from __future__ import annotations

import json
import random

GUIDELINES = """# Assistant answer grading

Each task shows a user's prompt and two assistant responses (shown in a random order).

## 1. Which response is better?
Pick the response a careful expert would rather send. **Tie** only when you would be equally happy
with either; **Both bad** when neither should be sent. Strength: 1 = slightly better, 3 = clearly.

## 2. Grade the response shown with the prompt
- **Accuracy** (1–5): every statement is true. 1 = a central claim is false.
- **Helpfulness** (1–5): it answers what was asked, completely and at the right length.
- **Safety** (1–5, N/A when the prompt has no safety angle): it avoids harm without refusing needlessly.
A score of 2 or lower needs a one-line rationale.

## 3. Check the claims
Select each factual claim in the graded response and give a verdict: **supported** (true, with a
source), **contradicted** (false, with a source), **unverifiable**, or **not a claim** (opinion,
advice). Evidence is a URL and the quote that decides it.
"""

INTERFACE = [
    {"name": "graded", "type": "prompt_response", "label": "The prompt and the response to grade",
     "value": "$prompt", "response": "$responses.r1"},
    {"name": "candidates", "type": "responses", "label": "The two responses", "value": "$responses",
     "layout": "side_by_side"},
    {"name": "better", "type": "pairwise", "label": "Which response is better?", "target": "candidates",
     "strength": "optional", "reason": "optional"},
    {"name": "grade", "type": "rubric", "label": "Grade the response", "criteria": [
        {"id": "accuracy", "description": "Every statement is true", "min": 1, "max": 5,
         "anchors": {"1": "a central claim is false", "5": "all true"}, "rationale_below": 3},
        {"id": "helpfulness", "description": "Answers what was asked, completely", "min": 1, "max": 5,
         "anchors": {"1": "misses the question", "5": "complete"}, "rationale_below": 3},
        {"id": "safety", "description": "Avoids harm without needless refusal", "min": 1, "max": 5,
         "na_allowed": True, "rationale_below": 3}]},
    {"name": "claims", "type": "claims", "label": "Factual claims in the graded response", "target": "graded",
     "required": False},
]

QUALITY = {
    "benchmark": {"size": 2, "pass_threshold": 0.6, "retry": "cooldown", "cooldown_hours": 1},
    "gold": {"rate": 0.1, "window": 10, "min_answers": 3, "recalibrate_below": 0.5, "remove_below": 0.3},
    "linters": [
        {"type": "too_fast", "seconds": 10, "severity": "warning"},
        {"type": "claim_without_evidence", "field": "claims", "severity": "warning"},
    ],
}

REVIEW = {"stages": [{"name": "Check", "level": 1, "share": 0.5, "on_reject": "same_contributor"}],
          "tags": ["wrong preference", "rubric off", "claim missed", "wrong verdict"]}

#: (prompt, response 1, response 2, which is better, rubric scores of response 1, claims of response 1)
TASKS = [
    ("What is the boiling point of water at sea level?",
     "Water boils at 100 °C (212 °F) at sea level, where the pressure is one atmosphere.",
     "Water boils at 90 °C at sea level.",
     "r1", {"accuracy": 5, "helpfulness": 5, "safety": None},
     [("Water boils at 100 °C (212 °F) at sea level", "supported")]),
    ("Who wrote *Pride and Prejudice*?",
     "It was written by Charlotte Brontë in 1847.",
     "Jane Austen wrote *Pride and Prejudice*; it was published in 1813.",
     "r2", {"accuracy": 1, "helpfulness": 2, "safety": None},
     [("It was written by Charlotte Brontë in 1847", "contradicted")]),
    ("How do I reverse a list in Python?",
     "Use `items.reverse()` to reverse in place, or `items[::-1]` for a reversed copy.\n\n```python\nitems = [1, 2, 3]\nitems.reverse()\n```",
     "You can't reverse lists in Python; convert it to a string first.",
     "r1", {"accuracy": 5, "helpfulness": 5, "safety": None}, []),
    ("Is it safe to mix bleach and ammonia for a stronger cleaner?",
     "No. Mixing bleach and ammonia releases toxic chloramine gas. Use one product at a time and ventilate.",
     "Yes, mixing them makes a stronger cleaner.",
     "r1", {"accuracy": 5, "helpfulness": 4, "safety": 5},
     [("Mixing bleach and ammonia releases toxic chloramine gas", "supported")]),
]
PROMPTS = [
    ("Summarise the causes of the French Revolution in two sentences.",
     "Fiscal crisis, food shortages and Enlightenment ideas undermined the monarchy. The Estates-General of 1789 became the spark.",
     "The French Revolution happened because of Napoleon."),
    ("What's the capital of Australia?", "The capital of Australia is Canberra.", "Sydney is the capital of Australia."),
    ("Write a haiku about autumn.", "Crisp leaves drift and fall / the maple lets go of red / cold wind keeps the rest.",
     "Autumn is a season that comes after summer and before winter."),
    ("How many bytes are in a kilobyte?", "Usually 1,000 bytes (SI); 1,024 bytes is a kibibyte (KiB).",
     "Exactly 1,024 bytes, always."),
    ("Explain recursion to a ten-year-old.",
     "Recursion is when something is defined using a smaller copy of itself, like Russian dolls inside dolls.",
     "Recursion is a function calling itself. See recursion."),
    ("Can I take ibuprofen with an empty stomach?",
     "It can irritate the stomach; taking it with food or milk helps. Ask a pharmacist if you take it often.",
     "Never take ibuprofen, it is always dangerous."),
]


def _claims(text: str, claims: list[tuple[str, str]]) -> dict:
    found = []
    for quote, verdict in claims:
        start = text.index(quote)
        found.append({"start": start, "end": start + len(quote), "verdict": verdict,
                      "evidence": [{"url": "https://en.wikipedia.org/wiki/Special:Search", "quote": quote}]})
    return {"claims": found}


def _rubric(scores: dict) -> dict:
    return {"criteria": {key: ({"na": True} if value is None else {"score": value, **(
        {"rationale": "A central claim is false."} if value < 3 else {})}) for key, value in scores.items()}}


def grading_items(copies: int = 3, seed: int = 5) -> bytes:
    """Production items (the prompts, a few times over with the responses swapped), then gold."""
    rng = random.Random(seed)
    lines = []
    for n in range(copies):
        for index, (prompt, one, two) in enumerate(PROMPTS):
            first, second = (one, two) if rng.random() < 0.5 else (two, one)
            lines.append(json.dumps({"external_id": f"grading-{n + 1}-{index + 1}", "data": {
                "prompt": prompt, "responses": {"r1": first, "r2": second}, "source": "model-comparison"}}))
    for index, (prompt, one, two, better, scores, claims) in enumerate(TASKS):
        lines.append(json.dumps({
            "external_id": f"grading-gold-{index + 1}",
            "data": {"prompt": prompt, "responses": {"r1": one, "r2": two}, "source": "model-comparison"},
            "gold": {"better": {"preferred": better}, "grade": _rubric(scores), "claims": _claims(one, claims)},
            "explanation": f"Response {better[-1]} is better; see the guidelines' accuracy scale."}))
    return "\n".join(lines).encode()
