"""``quizboard up``: embedded servers, the supervisor, the demo, and how processes live."""
