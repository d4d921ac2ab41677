"""Escalation: items flagged as ambiguous go to specialists, who decide them and clarify the guidelines."""
