"""What a room knows of its live quiz, and which live messages its clients still need.

A live quiz's messages (``question``, ``question_results``, ``quiz_finished``)
come on the quiz's channel and go out as they come: they have no version and no
throttle. Each goes out once: after a reconnect the catch-up may send one before
the subscription delivers it, and a question older than the room's last is
stale. The view keeps the open question, so a client that enters mid-question
gets the snapshot, then the question. No I/O here: the room reads and sends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from quizboard.core.live import ENCODER, QuestionMessage, QuestionResults, QuizFinished
from quizboard.store.live_replay import Replay


def now_ms() -> int:
    return int(time.time() * 1000)


def resent(question: QuestionMessage) -> str:
    """An open question sent again, its ``server_time`` now."""
    return ENCODER.encode(msgspec.structs.replace(question, server_time=now_ms())).decode()


@dataclass(slots=True)
class LiveView:
    """A room's live quiz as its clients have seen it."""

    question: QuestionMessage | None = None  # the open question
    read: bool = False  # whether the open question was read from Redis yet
    position: int = 0  # the position of the last question the room knows of
    results_for: int | None = None  # the question whose results the room was sent last
    finished: bool = False  # whether the room knows its quiz has finished

    def seed(self, last: Replay) -> None:
        """Start from what the quiz showed before the room opened: the room has not to
        catch up on it after a reconnect."""
        self.question, self.read = last.question, True
        self.finished = last.finished is not None
        shown = last.question or last.closed
        self.position = shown.question.position if shown else 0
        self.results_for = last.results.question_id if last.results else None

    def admit(self, live: QuestionMessage | QuestionResults | QuizFinished) -> bool:
        """Whether a message that came on the channel goes out: once each, and never a
        question overtaken by a later one."""
        self.read = True
        if isinstance(live, QuestionMessage):
            if live.question.position <= self.position:
                return False
            self.question, self.position = live, live.question.position
            return True
        if isinstance(live, QuestionResults):
            if self.question is not None and self.question.question.id == live.question_id:
                self.question = None
            if self.results_for == live.question_id:
                return False
            self.results_for = live.question_id
            return True
        self.question = None
        if self.finished:
            return False
        self.finished = True
        return True

    def catch_up(self, last: Replay) -> list[str]:
        """After a reconnect: what the quiz published while the subscription was down.
        A question that opened is sent. A question that closed gets its results, after
        the question itself if the room missed its opening too (clients then show it
        closed). A quiz that finished gets its end."""
        was = self.question
        self.question, self.read = last.question, True
        if last.question is not None:
            if was is None or was.question.id != last.question.question.id:
                self.position = last.question.question.position
                return [resent(last.question)]
            return []
        out: list[str] = []
        results, closed = last.results, last.closed
        if results is not None and results.question_id != self.results_for:
            shown = was is not None and was.question.id == results.question_id
            missed = closed is not None and closed.question.position > self.position
            if closed is not None and missed:
                self.position = closed.question.position
                out.append(resent(closed))
            if shown or missed:
                self.results_for = results.question_id
                out.append(ENCODER.encode(results).decode())
        if last.finished is not None and not self.finished:
            self.finished = True
            out.append(ENCODER.encode(last.finished).decode())
        return out

    def open_question(self) -> str | None:
        """The open question for a client that enters now, if its time is not up."""
        closes = None if self.question is None else self.question.closes_at
        if self.question is not None and (closes is None or closes > now_ms()):
            return resent(self.question)
        return None
