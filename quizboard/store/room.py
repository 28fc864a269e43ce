"""The host's control of a room in Redis, recorded in PostgreSQL: remove a player
(kick or ban), lock and unlock the lobby, and list the players.

A removal is made in Redis first, where it takes effect: one script takes the player
off the board and out of the count, holds its points, and tells the gateway. It is
then recorded in PostgreSQL (``removed_players``), where the results leave the
player out. Both are idempotent, so a host that got an error retries the whole.
"""

from __future__ import annotations

from quizboard.core.errors import NameTaken, NotFound
from quizboard.core.events import ENCODER, ChangeEvent, JoinEvent
from quizboard.core.keys import JOINS, LB_CHANGES, Keys
from quizboard.core.models import QuizConfig
from quizboard.core.names import name_key
from quizboard.core.room import PlayerRemoved, Removal, RoomPlayer, RoomState
from quizboard.store.connections import Pool, Redis, text
from quizboard.store.scripts import KickArgs, KickKeys, RenameArgs, RenameKeys, flat, source

RECORD = """
INSERT INTO removed_players (quiz_id, player_id, reason) VALUES (%s, %s, %s)
ON CONFLICT (quiz_id, player_id) DO UPDATE SET reason = excluded.reason
"""


ROOM_PAGE = 200  # the players a host's list shows at once


class Room:
    """Removes players and locks lobbies, through one Redis client and the pool."""

    def __init__(self, redis: Redis, pool: Pool, keys: Keys) -> None:
        self._redis = redis
        self._pool = pool
        self._keys = keys
        self._kick = redis.register_script(source("kick.lua"))
        self._rename = redis.register_script(source("rename.lua"))

    async def remove(self, config: QuizConfig, player_id: str, reason: Removal) -> Removal:
        """Kick or ban ``player_id``; its removal now (a ban stays a ban). 404
        ``player_not_found`` for one that never joined."""
        quiz = self._keys.quiz(config.partition, config.id)
        keys = KickKeys(quiz.players, quiz.leaderboard, quiz.removed, quiz.held,
                        self._keys.stream(config.partition, LB_CHANGES), quiz.names,
                        quiz.team_of, quiz.team_board, quiz.team_sizes)  # fmt: skip
        message = ENCODER.encode(PlayerRemoved(config.id, player_id, reason))
        args = KickArgs(player_id, reason, self._keys.channel(config.partition, config.id),
                        message, ENCODER.encode(ChangeEvent(config.id)))  # fmt: skip
        now = text(await self._kick(keys=flat(keys), args=flat(args)))
        if now == "#unknown":
            raise NotFound(f"no player {player_id!r} in quiz {config.id}", code="player_not_found")
        async with self._pool.connection() as conn:
            await conn.execute(RECORD, (config.id, player_id, now))
        return "ban" if now == "ban" else "kick"

    async def rename(self, config: QuizConfig, player_id: str, name: str, at_ms: int) -> None:
        """Give ``player_id`` the (checked) ``name``; 404 ``player_not_found``, 409
        ``name_taken`` for another player's."""
        quiz = self._keys.quiz(config.partition, config.id)
        keys = RenameKeys(quiz.players, quiz.names, self._keys.stream(config.partition, JOINS))
        event = ENCODER.encode(JoinEvent(config.id, player_id, name, at_ms, renamed=True))
        args = RenameArgs(player_id, name, name_key(name), event)
        reply = text(await self._rename(keys=flat(keys), args=flat(args)))
        if reply == "#unknown":
            raise NotFound(f"no player {player_id!r} in quiz {config.id}", code="player_not_found")
        if reply == "#name_taken":
            raise NameTaken("another player in this quiz has this name")

    async def lock(self, config: QuizConfig, locked: bool) -> None:
        """Lock the lobby (joins get 409 ``lobby_locked``) or open it again."""
        room = self._keys.quiz(config.partition, config.id).room
        if locked:
            await self._redis.hset(room, "locked", "1")
        else:
            await self._redis.hdel(room, "locked")

    async def state(self, config: QuizConfig, limit: int = ROOM_PAGE) -> RoomState:
        """The room as its host sees it, read at one instant: the lock, the player
        count, the ``limit`` best players with their scores, and the removed ones. It
        costs O(limit), not O(players): a room of 10,000 is read in pages."""
        quiz = self._keys.quiz(config.partition, config.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(quiz.room, "locked")
            pipe.hlen(quiz.players)
            pipe.zrevrange(quiz.leaderboard, 0, limit - 1, withscores=True)
            pipe.hgetall(quiz.removed)
            pipe.hgetall(quiz.held)
            locked, count, board, removed, held = await pipe.execute()
        top = [(text(member), int(score)) for member, score in board]
        gone = sorted((text(k), text(v)) for k, v in removed.items())
        listed = [p for p, _ in top] + [p for p, _ in gone]
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hmget(quiz.players, listed or [""])
            pipe.hmget(quiz.team_of, listed or [""])
            names, teams = await pipe.execute()
        team = dict(zip(listed, (_team_name(config, t) for t in teams), strict=False))
        players = [RoomPlayer(p, text(n), s, team[p])
                   for (p, s), n in zip(top, names, strict=False)]  # fmt: skip
        kept = {text(k): text(v) for k, v in held.items()}
        for player, reason in gone:
            removal: Removal = "ban" if reason == "ban" else "kick"
            name, points = kept.get(f"{player}\n", ""), int(kept.get(player) or 0)
            players.append(RoomPlayer(player, name, points, team[player], removal))
        return RoomState(config.id, text(locked) == "1", config.late_join, int(count), players)

    async def removed(self, config: QuizConfig, player_id: str) -> bool:
        """Whether the host removed ``player_id``."""
        quiz = self._keys.quiz(config.partition, config.id)
        return bool(await self._redis.hexists(quiz.removed, player_id))


def _team_name(config: QuizConfig, index: bytes | None) -> str | None:
    return None if index is None else config.teams[int(index)]
