"""Password hashing with argon2id (argon2-cffi), the OWASP-recommended default, and the policy
for new and changed passwords: a minimum length by role, and zxcvbn's guessability estimate,
which knows the most common passwords, names, words and keyboard patterns."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

#: argon2id at the first of OWASP's equivalent configurations (Password Storage Cheat Sheet: 46 MiB,
#: one pass, one lane). argon2-cffi's default (64 MiB, three passes, four lanes) took 170 ms a
#: verify on a 2-core machine, more than the whole sign-in budget (p99 < 150 ms); this takes ~80 ms.
#: Hashes made with other parameters still verify and are rehashed at their next sign-in.
_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1)

MIN_PASSWORD_LENGTH = 8
#: Ops can create users, see every project and export everything: a longer password.
MIN_OPS_PASSWORD_LENGTH = 12
#: Long enough for any passphrase; bounds the work one request can ask of the hasher.
MAX_PASSWORD_LENGTH = 1024
#: zxcvbn's score, 0-4: 3 is "safely unguessable: moderate protection from offline slow-hash scenario".
MIN_STRENGTH = 3
#: zxcvbn refuses longer input; its estimate of the first 72 characters is a lower bound for the rest.
_ZXCVBN_MAX = 72


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: object, *, is_ops: bool, personal: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` may not be used (None if it may). ``personal``: the person's email and name,
    which zxcvbn treats as known words, so a password made of them is weak."""
    minimum = MIN_OPS_PASSWORD_LENGTH if is_ops else MIN_PASSWORD_LENGTH
    if not isinstance(password, str) or len(password) < minimum:
        return f"must be at least {minimum} characters" + (" for ops" if is_ops else "")
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    words = [word for text in personal
             for word in (text, "".join(text.split()), *text.replace("@", " ").replace(".", " ").split()) if word]
    estimate = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=words)
    if estimate["score"] >= MIN_STRENGTH:
        return None
    feedback = estimate["feedback"]
    advice = " ".join(part for part in [feedback.get("warning") or "", *feedback.get("suggestions", [])] if part)
    return "too easy to guess" + (f": {advice}" if advice else "; use a longer passphrase of uncommon words")
