"""Progress is reported through an observer, so core code never prints."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def update(self, message: str) -> None:
        """Say what is being waited for now."""


class NoProgress:
    def update(self, message: str) -> None:
        pass
