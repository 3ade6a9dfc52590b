"""Forward-only stage progression, compiled from the rules file's stage list.

Stages without `branch_from` form the forward order; the record moves to the
highest one whose criterion holds, if above its current stage. Then a branch
stage (e.g. `lost`, branch_from [contacted]) applies when the record stands at
one of its source stages and its criterion holds. Terminal stages never move;
a stage the rules do not know is "unmapped": no move.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rules.conditions import Context, Test, compile_all
from rules.decisions import StageMove
from rules.schema import Stage


@dataclass(frozen=True, slots=True)
class StageMachine:
    """A compiled stage list for one object (lead or opportunity)."""

    order: dict[str, int]
    forward: tuple[tuple[int, str, Test, str], ...]  # highest first
    branches: tuple[tuple[frozenset[str], str, Test, str], ...]
    terminal: frozenset[str]
    known: frozenset[str]

    def decide(self, record: Any, ctx: Context) -> tuple[StageMove, bool]:
        """The stage move for `record` (and whether its stage is unmapped).

        Sets `ctx.stage` and `ctx.stage_changed_at` to their values after this run.
        """
        current = record.stage
        ctx.stage, ctx.stage_changed_at = current, record.stage_changed_at
        if current not in self.known:
            return StageMove(current, current, None), True
        if current in self.terminal:
            return StageMove(current, current, None), False
        target, reason = current, None
        level = self.order.get(current, -1)
        for index, name, test, why in self.forward:
            if index <= level:
                break
            if test(record, ctx):
                target, reason = name, why
                break
        ctx.stage = target
        for sources, name, test, why in self.branches:
            if target in sources and test(record, ctx):
                target, reason = name, why
                break
        ctx.stage = target
        if target != current:
            ctx.stage_changed_at = ctx.now
        return StageMove(current, target, reason), False


def compile_stages(stages: list[Stage], fields: frozenset[str]) -> StageMachine:
    """Compile a validated stage list (names and references were checked by the loader)."""
    forward = [s for s in stages if s.branch_from is None]
    order = {s.name: i for i, s in enumerate(forward)}
    return StageMachine(
        order=order,
        forward=tuple(
            (order[s.name], s.name, compile_all(s.when, fields), s.reason or s.name)
            for s in reversed(forward)
            if s.when is not None
        ),
        branches=tuple(
            (frozenset(s.branch_from or ()), s.name, compile_all(s.when, fields), s.reason or "")
            for s in stages
            if s.branch_from is not None and s.when is not None
        ),
        terminal=frozenset(s.name for s in stages if s.terminal),
        known=frozenset(s.name for s in stages),
    )
