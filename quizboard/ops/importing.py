"""``quizboard import FILE``: a quiz from a spreadsheet, straight into the catalog."""

from __future__ import annotations

from quizboard.core.keys import Keys
from quizboard.core.models import QuizConfig
from quizboard.core.quiz_sheets import QuizMeta, quiz_from_rows
from quizboard.core.spreadsheets import read_rows
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import pg_pool, redis_for
from quizboard.store.media import MediaStore


async def run_import(settings: Settings, data: bytes, meta: QuizMeta) -> QuizConfig:
    """Create the quiz the file holds, as ``POST /quizzes/import`` does."""
    quiz = quiz_from_rows(read_rows(data), meta)
    async with redis_for(settings) as redis, pg_pool(settings.database_url) as pool:
        await MediaStore(pool, 0).check_known(quiz.questions)
        return await QuizCatalog(
            pool, redis, Keys(settings.key_prefix), settings.partitions
        ).create(quiz)
