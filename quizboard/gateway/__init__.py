"""The WebSocket gateway: one room per quiz, fed by one pub/sub subscription per quiz."""
