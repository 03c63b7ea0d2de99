"""What route handlers borrow from the app: the Checker built once at startup, and the settings."""

from __future__ import annotations

from fastapi import Request

from factcheck.pipeline import Checker
from factcheck.settings import Settings


def get_checker(request: Request) -> Checker:
    return request.app.state.checker


def get_settings(request: Request) -> Settings:
    return request.app.state.settings
