"""Job classes for the foundation tests (state machine, callbacks, plugins)."""

from __future__ import annotations

import mongoengine as me

from rocketjob import Job, after, around, before


class KeptJob(Job):
    """A job that stays after completion so its final state can be inspected."""

    destroy_on_complete = False

    def perform(self) -> None:
        return None


class PausableJob(Job):
    """A job that may be paused while running (as batch jobs are): it calls checkpoints."""

    destroy_on_complete = False
    pausable = True
    checkpoints = True

    def perform(self) -> None:
        return None


class PausableWithoutCheckpointsJob(Job):
    """Declares pausable but never calls checkpoint(): pausing it while running is refused."""

    destroy_on_complete = False
    pausable = True

    def perform(self) -> None:
        return None


class ReportJob(Job):
    """Class-level defaults and user fields with options."""

    priority = 30
    destroy_on_complete = False
    report_name = me.StringField(required=True, user_editable=True, copy_on_restart=True)
    row_limit = me.IntField(min_value=1, user_editable=True)
    internal_note = me.StringField()

    def perform(self) -> str:
        return f"report {self.report_name}"


class CallbackJob(Job):
    """Records the order in which its callbacks run."""

    destroy_on_complete = False
    calls = me.ListField(me.StringField())
    fail_in = me.StringField()

    def _note(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_in == name:
            raise RuntimeError(f"{name} refused")

    @before("start")
    def before_start_one(self) -> None:
        self._note("before_start_one")

    @before("start")
    def before_start_two(self) -> None:
        self._note("before_start_two")

    @after("start")
    def after_start_one(self) -> None:
        self._note("after_start_one")

    @after("start")
    def after_start_two(self) -> None:
        self._note("after_start_two")

    @before("perform")
    def before_perform(self) -> None:
        self._note("before_perform")

    @around("perform")
    def around_outer(self, proceed) -> None:  # type: ignore[no-untyped-def]
        self._note("around_outer_enter")
        proceed()
        self._note("around_outer_exit")

    @around("perform")
    def around_inner(self, proceed) -> None:  # type: ignore[no-untyped-def]
        self._note("around_inner_enter")
        proceed()
        self._note("around_inner_exit")

    @after("perform")
    def after_perform(self) -> None:
        self._note("after_perform")

    @before("complete")
    def before_complete(self) -> None:
        self._note("before_complete")

    @after("complete")
    def after_complete(self) -> None:
        self._note("after_complete")

    def perform(self) -> None:
        self._note("perform")


class ChildCallbackJob(CallbackJob):
    """Inherits CallbackJob's callbacks and adds one of each kind."""

    @before("start")
    def child_before_start(self) -> None:
        self._note("child_before_start")

    @after("start")
    def child_after_start(self) -> None:
        self._note("child_after_start")
