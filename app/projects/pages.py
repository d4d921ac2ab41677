"""Ops set-up pages for projects (being built)."""

from litestar import Controller


class ProjectPages(Controller):
    include_in_schema = False
