"""What an ingest run did: articles added, duplicates met, and each failure with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IngestSummary:
    added: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: IngestSummary) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.failed.extend(other.failed)

    def line(self) -> str:
        text = f"added {self.added}, duplicates {self.duplicates}, failed {len(self.failed)}"
        if self.failed:
            text += ": " + "; ".join(f"{item} ({why})" for item, why in self.failed)
        return text
