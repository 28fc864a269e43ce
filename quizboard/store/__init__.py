"""The I/O clients, and what reads or writes through them: connections, the quiz catalog,
leaderboard reads, stream state and the SQL migrations."""
