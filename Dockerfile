# One image for every quizboard process; compose.yaml picks the command.
FROM python:3.11-slim

RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY quizboard ./quizboard
# The tracing extra: compose sends every process's spans to Jaeger.
RUN uv sync --locked --no-dev --extra tracing
ENV PATH="/app/.venv/bin:$PATH" \
    QUIZBOARD_API_HOST=0.0.0.0 \
    QUIZBOARD_GATEWAY_HOST=0.0.0.0

USER nobody
CMD ["quizboard", "--help"]
