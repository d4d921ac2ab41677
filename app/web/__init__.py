"""Web plumbing shared by every slice: templates, errors, request helpers."""
