"""Errors that services raise and the API and pages turn into clear 4xx answers."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A business rule refused the request; the message is safe to show the user."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ConflictError(ApplicationError):
    """The request repeats something that already exists (HTTP 409)."""

    status_code = 409


class PayloadTooLargeError(ApplicationError):
    """The uploaded file is over the configured size limit (HTTP 413)."""

    status_code = 413
