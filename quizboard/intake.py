"""Accepting events: the API's only writes, each one XADD to its partition's stream.

An answer is accepted at most once per player and question: one Lua script
checks and marks ``player:question`` and XADDs the event, so there is no window
in which two requests can both pass the check.
"""

from __future__ import annotations

from quizboard.connections import Redis
from quizboard.events import ENCODER, FIELD, AnswerEvent, JoinEvent
from quizboard.keys import ANSWERS, JOINS, Keys

# KEYS: answered hash, answers stream. ARGV: player:question, event, expire-at (ms).
# Returns the new entry id, or false when this player already answered this question.
ACCEPT_ANSWER = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
    return false
end
local id = redis.call('XADD', KEYS[2], '*', 'd', ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], id)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return id
"""


class Intake:
    """Puts accepted joins and answers into the streams."""

    def __init__(self, redis: Redis, keys: Keys, *, wait_aof: bool = False) -> None:
        self._redis = redis
        self._keys = keys
        self._wait_aof = wait_aof
        self._accept_answer = redis.register_script(ACCEPT_ANSWER)

    async def join(self, partition: int, event: JoinEvent) -> str:
        """Append a join event; return its entry id."""
        entry_id = await self._redis.xadd(
            self._keys.stream(partition, JOINS), {FIELD: ENCODER.encode(event)}
        )
        await self._durable()
        return _text(entry_id)

    async def answer(self, partition: int, event: AnswerEvent, keep_until_ms: int) -> str | None:
        """Append an answer event unless this player answered this question before.

        Returns the entry id (the answer's ``event_id``), or ``None`` for a repeat.
        The answered-marks live until ``keep_until_ms``, after the quiz has ended.
        """
        result = await self._accept_answer(
            keys=[
                self._keys.answered(partition, event.quiz_id),
                self._keys.stream(partition, ANSWERS),
            ],
            args=[f"{event.player_id}:{event.question_id}", ENCODER.encode(event), keep_until_ms],
        )
        if result is None:
            return None
        await self._durable()
        return _text(result)

    async def _durable(self) -> None:
        """With ``wait_aof``, return only once the local AOF holds the write."""
        if self._wait_aof:
            await self._redis.execute_command("WAITAOF", 1, 0, 1000)  # type: ignore[no-untyped-call]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
