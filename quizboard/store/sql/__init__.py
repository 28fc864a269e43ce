"""The SQL migrations, applied in file-name order by quizboard.store.migrations."""
