"""Kendall's rank correlation and distance, with ties (a few lines; no scipy).

For two rankings x and y of the same n candidates, over the n0 = n(n-1)/2 pairs (i, j):
a pair is *concordant* when x and y order it the same way, *discordant* when they order it
oppositely, and tied in x, in y, or in both otherwise.

* tau-b (Kendall 1945, "The treatment of ties in ranking problems", Biometrika 33(3) 239-251;
  also Agresti, *Analysis of Ordinal Categorical Data*, 2nd ed., 7.1):
  ``tau_b = (C - D) / sqrt((n0 - n1) (n0 - n2))`` with n1 (n2) the pairs tied in x (y). It is
  undefined when either ranking ties everything; we take 1 when both do and 0 when one does.
* Kendall distance with ties (Fagin, Kumar, Mahdian, Sivakumar, Vee 2006, "Comparing partial
  rankings", SIAM J. Discrete Math. 20(3), the K^(p) measure with p = 1/2), normalised:
  ``(D + 1/2 * T) / n0``, T the pairs tied in exactly one ranking. 0 for the same order, 1 for
  the reverse, symmetric; without ties it is (1 - tau) / 2.

O(n^2) pairs: rankings here order a handful of responses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _pairs(x: Sequence[float], y: Sequence[float]) -> tuple[int, int, int, int, int]:
    """(concordant, discordant, tied in x, tied in y, tied in exactly one)."""
    concordant = discordant = tied_x = tied_y = tied_one = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            dx, dy = x[i] - x[j], y[i] - y[j]
            tied_x += dx == 0
            tied_y += dy == 0
            if dx == 0 or dy == 0:
                tied_one += (dx == 0) != (dy == 0)
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    return concordant, discordant, tied_x, tied_y, tied_one


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two equally long rankings, in [-1, 1]."""
    if len(x) != len(y):
        raise ValueError("rankings must have the same length")
    n0 = len(x) * (len(x) - 1) // 2
    concordant, discordant, tied_x, tied_y, _ = _pairs(x, y)
    if n0 - tied_x == 0 or n0 - tied_y == 0:
        return 1.0 if tied_x == tied_y == n0 else 0.0
    return (concordant - discordant) / math.sqrt((n0 - tied_x) * (n0 - tied_y))


def kendall_distance(x: Sequence[float], y: Sequence[float]) -> float:
    """Normalised Kendall distance with ties counted half, in [0, 1]."""
    if len(x) != len(y):
        raise ValueError("rankings must have the same length")
    n0 = len(x) * (len(x) - 1) // 2
    if n0 == 0:
        return 0.0
    _, discordant, _, _, tied_one = _pairs(x, y)
    return (discordant + 0.5 * tied_one) / n0
