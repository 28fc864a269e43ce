"""Redis Streams consumers: the workers behind the API."""
