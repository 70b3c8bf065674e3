"""The one error readers raise: the file cannot become report text, with the reason for quarantine."""

from __future__ import annotations


class Unreadable(ValueError):
    """Raised with a reason a person can act on ("scanned PDF, needs OCR")."""

    @property
    def reason(self) -> str:
        return str(self)


class NeedsOCR(Unreadable):
    """A PDF whose text layer is missing or unusable (the reason says which): read its pages by OCR."""
