"""The demo program `make run` starts with: one user per role and a live project."""

from __future__ import annotations

import json
import random
import secrets

from sqlalchemy import func, select

from app import seed_grading as grading
from app.accounts.models import Role, User
from app.accounts.service import add_member, create_user
from app.db import Database
from app.items.parsing import parse_items
from app.items.service import import_records
from app.projects.service import create_project, interface_of, set_status

DEMO_USERS = [
    ("ops@inkwell.local", "Olivia Ops", Role.ops),
    ("reviewer@inkwell.local", "Rafael Reviewer", Role.reviewer),
    ("specialist@inkwell.local", "Sana Specialist", Role.specialist),
    ("client@inkwell.local", "Chen Client", Role.client),
    ("alice@inkwell.local", "Alice Contributor", Role.contributor),
    ("bob@inkwell.local", "Bob Contributor", Role.contributor),
    ("carmen@inkwell.local", "Carmen Contributor", Role.contributor),
]

GUIDELINES = """# Support-ticket triage

Read the customer's message and label it as a support lead would.

## Sentiment
- **positive**: the customer is satisfied or thankful, even if they also ask something.
- **neutral**: a plain question or statement.
- **negative**: frustration, complaint or threat to leave.

## Topics
Pick every topic the message is *about*; not topics it merely mentions.

## Urgency
1 = can wait a week · 3 = answer today · 5 = the customer is blocked right now.

## Rationale
One or two sentences a reviewer can check. Quote the words that decided it.
"""

INTERFACE = [
    {"name": "sentiment", "type": "choice", "label": "Sentiment",
     "options": ["positive", "neutral", "negative"]},
    {"name": "topics", "type": "multi_choice", "label": "Topics",
     "options": ["billing", "shipping", "product", "account", "other"], "min_selected": 1},
    {"name": "urgency", "type": "rating", "label": "Urgency", "min": 1, "max": 5,
     "labels": {"1": "can wait", "5": "blocked now"}},
    {"name": "rationale", "type": "text", "label": "Rationale", "required": False, "max_length": 500},
]

REVIEW = {
    "stages": [{"name": "Check", "level": 1, "share": 1.0, "on_reject": "same_contributor"},
               {"name": "Spot audit", "level": 2, "share": 0.2, "on_reject": "escalate"}],
    "tags": ["wrong sentiment", "missing topic", "urgency off", "rationale unclear"],
    "disagreement": {"action": "more_annotators", "threshold": 0.5, "max_overlap": 3},
}

QUALITY = {
    "benchmark": {"size": 5, "pass_threshold": 0.7, "retry": "cooldown", "cooldown_hours": 1},
    "gold": {"rate": 0.15, "window": 10, "min_answers": 3, "recalibrate_below": 0.6, "remove_below": 0.3},
    "linters": [
        {"type": "too_fast", "seconds": 3, "severity": "warning"},
        {"type": "conditional", "if": {"field": "urgency", "equals": 5}, "then": {"field": "rationale", "required": True},
         "severity": "error", "message": "say why the customer is blocked (urgency 5 needs a rationale)"},
        {"type": "copied_input", "field": "rationale", "source": "ticket", "severity": "warning"},
        {"type": "straight_lining", "count": 6, "severity": "warning"},
    ],
}

GOLD = [
    ("I was charged twice for my order and nobody answers. This is unacceptable.",
     {"sentiment": "negative", "topics": ["billing"], "urgency": 4},
     "A double charge with no reply: negative, about billing, urgent but the customer is not blocked."),
    ("Thanks so much, the replacement arrived a day early!",
     {"sentiment": "positive", "topics": ["shipping"], "urgency": 1},
     "Pure thanks about a delivery: positive, shipping, nothing to do."),
    ("How do I add a second user to my account?",
     {"sentiment": "neutral", "topics": ["account"], "urgency": 2},
     "A plain how-to question: neutral, account."),
    ("The app won't start at all and my shop opens in ten minutes.",
     {"sentiment": "negative", "topics": ["product"], "urgency": 5},
     "The customer is blocked right now: urgency 5."),
    ("Love the product, but where is my invoice for March?",
     {"sentiment": "positive", "topics": ["billing"], "urgency": 2},
     "Satisfied overall (positive) with a billing question; the praise decides sentiment."),
    ("My parcel shows delivered but it's not here.",
     {"sentiment": "negative", "topics": ["shipping"], "urgency": 3},
     "A missing parcel: negative, shipping, answer today."),
    ("Can you change my plan to annual billing?",
     {"sentiment": "neutral", "topics": ["billing", "account"], "urgency": 2},
     "A neutral request touching both billing and the account."),
]

OPENERS = ["Hi team,", "Hello,", "To whom it may concern:", "Hey!", "Good morning,"]
BODIES = [
    "my order #{n} still hasn't arrived after two weeks and nobody answers my emails.",
    "I was charged twice for my subscription this month. Please refund the duplicate.",
    "just wanted to say the new dashboard is fantastic, thank you!",
    "how do I change the email address on my account?",
    "the app crashes every time I open the settings page on Android.",
    "can I upgrade my plan mid-cycle, and how is it billed?",
    "the package arrived damaged; the box was crushed and the lamp is broken.",
    "I can't log in since this morning and I have a demo in an hour.",
    "do you ship to Iceland? I couldn't find it in the FAQ.",
    "your support agent Maria was incredibly helpful yesterday. <b>Five stars</b>.",
]


def demo_items(count: int = 40, seed: int = 7) -> bytes:
    """Production tickets, then gold tickets that look exactly like them."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        text = f"{rng.choice(OPENERS)} {rng.choice(BODIES).format(n=1000 + n)}"
        lines.append('{"external_id": "ticket-%d", "data": {"ticket": %s, "channel": "%s"}}' % (
            n + 1, _json(text), rng.choice(["email", "chat", "phone"])))
    for n, (text, answer, why) in enumerate(GOLD):
        lines.append(json.dumps({"external_id": f"ticket-{count + n + 1}",
                                 "data": {"ticket": text, "channel": rng.choice(["email", "chat", "phone"])},
                                 "gold": answer, "explanation": why}))
    return "\n".join(lines).encode()


def earlier_labels(count: int = 24, seed: int = 11) -> bytes:
    """Tickets labelled before Inkwell by three annotators, so the agreement page and the guideline-gap
    report have something to show at once: they agree on billing and shipping, and split on the rest."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        topic = ["billing", "shipping", "product", "account"][n % 4]
        truth = rng.choice(["positive", "neutral", "negative"])
        annotations = []
        for annotator in ("kai", "lena", "mo"):
            clear = topic in ("billing", "shipping")
            sentiment = truth if clear or rng.random() < 0.5 else rng.choice(["neutral", "negative"])
            annotations.append({"annotator": annotator, "answer": {
                "sentiment": sentiment, "topics": [topic], "urgency": rng.randint(2, 4)}})
        lines.append(json.dumps({"external_id": f"earlier-{n + 1}", "data": {
            "ticket": f"{rng.choice(OPENERS)} {rng.choice(BODIES).format(n=2000 + n)}", "channel": "email",
            "topic_hint": topic}, "annotations": annotations}))
    return "\n".join(lines).encode()


def _json(value: str) -> str:
    return json.dumps(value)


async def seed_demo(db: Database, *, force: bool = False) -> list[tuple[str, str, str]] | None:
    """Returns (email, role, password) for each user created, or None if already seeded."""
    async with db.transaction() as session:
        if not force and (await session.execute(select(func.count()).select_from(User))).scalar_one():
            return None
        created: list[tuple[str, str, str]] = []
        people: dict[str, User] = {}
        for email, name, role in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            people[email] = await create_user(session, email=email, name=name, password=password, role=role)
            created.append((email, role, password))
        ops = people["ops@inkwell.local"]
        project = await create_project(
            session, actor=ops, name="Support-ticket triage",
            purpose="Train a triage model that routes support tickets by sentiment, topic and urgency, "
                    "so blocked customers reach a person first.",
            guidelines=GUIDELINES, overlap=2, interface=INTERFACE, quality=QUALITY, review=REVIEW)
        for email, _, role in DEMO_USERS:
            if role != Role.ops:
                await add_member(session, project_id=project.id, user_id=people[email].id, role=role, actor_id=ops.id,
                                 level=2 if role == Role.reviewer else 1)
        records = parse_items(demo_items(), "jsonl", interface_of(project))
        await import_records(session, project, records, batch_name="week-1", actor=ops)
        earlier = parse_items(earlier_labels(), "jsonl", interface_of(project))
        await import_records(session, project, earlier, batch_name="earlier-labels", actor=ops)
        await set_status(session, project, "live", actor=ops)
        await _seed_grading(session, people, ops)
    return created


async def _seed_grading(session, people: dict[str, User], ops: User) -> None:
    """The second program, "Assistant answer grading" (app/seed_grading.py), live with the same people."""
    project = await create_project(
        session, actor=ops, name="Assistant answer grading",
        purpose="Preference pairs and rubric grades for an assistant model: pick the better of two responses, "
                "grade one on accuracy, helpfulness and safety, and check its factual claims.",
        guidelines=grading.GUIDELINES, overlap=2, interface=grading.INTERFACE, quality=grading.QUALITY,
        review=grading.REVIEW)
    for email, _, role in DEMO_USERS:
        if role != Role.ops:
            await add_member(session, project_id=project.id, user_id=people[email].id, role=role, actor_id=ops.id,
                             level=1)
    records = parse_items(grading.grading_items(), "jsonl", interface_of(project))
    await import_records(session, project, records, batch_name="round-1", actor=ops)
    await set_status(session, project, "live", actor=ops)
