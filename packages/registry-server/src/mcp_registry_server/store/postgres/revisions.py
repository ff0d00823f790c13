"""Source revisions this process already knows, so the change feed reports only others' writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class RevisionTracker:
    """Revisions come from one sequence, so a larger revision always means a newer write.

    Own writes are recorded *before* they commit: a concurrent poll then sees either the old
    revision (not larger, ignored) or the new one (equal, ignored), never a false change.
    Only a revision larger than the known one, an unknown source or a vanished source is
    reported, and nothing committed by another process can be missed.
    """

    known: dict[str, int] = field(default_factory=dict)
    deleting: set[str] = field(default_factory=set)

    def reset(self, revisions: Mapping[str, int]) -> None:
        """Everything was just loaded at these revisions."""
        self.known.clear()
        self.known.update(revisions)

    @contextmanager
    def writing(self, source: str) -> Iterator[WriteTicket]:
        """Wrap one replace transaction; call `ticket.record(revision)` before it commits."""
        ticket = WriteTicket(self, source, self.known.get(source))
        try:
            yield ticket
        except BaseException:
            ticket.restore()
            raise

    @contextmanager
    def deleting_source(self, source: str) -> Iterator[None]:
        """Wrap one delete transaction: its disappearance is expected, not a change."""
        self.deleting.add(source)
        try:
            yield
            self.known.pop(source, None)
        finally:
            self.deleting.discard(source)

    def changes(self, current: Mapping[str, int]) -> list[str]:
        """Sources changed, added or deleted by someone else since last acknowledged, sorted."""
        changed = {
            name
            for name, revision in current.items()
            if name not in self.deleting and revision > self.known.get(name, -1)
        }
        changed |= {n for n in self.known.keys() - current.keys() if n not in self.deleting}
        return sorted(changed)

    def acknowledge(self, source: str, current: Mapping[str, int]) -> None:
        """The consumer has seen `source` as it is in `current`."""
        if source in current:
            self.known[source] = max(current[source], self.known.get(source, -1))
        else:
            self.known.pop(source, None)


@dataclass
class WriteTicket:
    tracker: RevisionTracker
    source: str
    previous: int | None

    def record(self, revision: int) -> None:
        self.tracker.known[self.source] = revision

    def restore(self) -> None:
        if self.previous is None:
            self.tracker.known.pop(self.source, None)
        else:
            self.tracker.known[self.source] = self.previous
