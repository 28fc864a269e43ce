"""What a gateway sends a newcomer to a live quiz, or sends again after a reconnect:
the last live messages, as the scripts of :mod:`quizboard.store.live` stored them."""

from __future__ import annotations

from dataclasses import dataclass

from quizboard.core.keys import Keys
from quizboard.core.live import (
    FINISHED_DECODER,
    QUESTION_DECODER,
    RESULTS_DECODER,
    QuestionMessage,
    QuestionResults,
    QuizFinished,
)
from quizboard.store.connections import Redis


@dataclass(frozen=True, slots=True)
class Replay:
    """What a watcher of a live quiz should have seen last: the open question, as
    published when it opened (its time may be up: the reader compares ``closes_at``);
    else the results of the last question, that question as published when it opened
    (``closed``), and whether the quiz has finished."""

    question: QuestionMessage | None = None
    results: QuestionResults | None = None
    closed: QuestionMessage | None = None
    finished: QuizFinished | None = None


async def replay(redis: Redis, keys: Keys, partition: int, quiz_id: int) -> Replay:
    """The live messages a gateway sends a newcomer, or sends again after a reconnect."""
    live = keys.quiz(partition, quiz_id).live
    phase, message, results, finished = await redis.hmget(
        live, ["phase", "message", "last_results", "finished_message"]
    )
    if phase == b"question" and message is not None:
        return Replay(question=QUESTION_DECODER.decode(message))
    done = FINISHED_DECODER.decode(finished) if finished is not None else None
    if results is None:
        return Replay(finished=done)
    closed = QUESTION_DECODER.decode(message) if message is not None else None
    return Replay(results=RESULTS_DECODER.decode(results), closed=closed, finished=done)
