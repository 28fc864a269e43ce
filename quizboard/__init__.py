"""quizboard: a real-time quiz backend."""
