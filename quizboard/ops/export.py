"""``quizboard export QUIZ``: a quiz's results from PostgreSQL, to a file or stdout."""

from __future__ import annotations

import sys
from typing import IO

import click

from quizboard.core.keys import Keys
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import pg_pool, redis_for
from quizboard.store.results import count_players, csv_stream, json_stream, question_results


async def run_export(settings: Settings, quiz_id: int, fmt: str, out: IO[bytes]) -> int:
    """Write the results; the number of players written. A progress bar goes to a
    terminal's stderr."""
    keys = Keys(settings.key_prefix)
    async with redis_for(settings) as redis, pg_pool(settings.database_url) as pool:
        config = await QuizCatalog(pool, redis, keys, settings.partitions).get(quiz_id)
        total = await count_players(pool, quiz_id)
        with click.progressbar(
            length=total, label=f"quiz {quiz_id}", file=sys.stderr, show_pos=True
        ) as bar:
            if fmt == "csv":
                chunks = csv_stream(pool, quiz_id, bar.update)
            else:  # the per-question summary is JSON's only
                questions = await question_results(pool, config)
                chunks = json_stream(pool, config, questions, bar.update)
            async for chunk in chunks:
                out.write(chunk)
        out.flush()
    return total
