# The explorer's build (docs/explorer.md), served by the API at /.
FROM node:20-slim AS explorer
WORKDIR /app
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/index.html frontend/vite.config.ts frontend/tsconfig.json ./
COPY frontend/src ./src
RUN npm run build

# One image for the API, the Dagster webserver and daemon, and the Celery worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DAGSTER_HOME=/opt/dagster/home \
    ARIADNE_EXPLORER_DIR=/opt/ariadne/explorer
WORKDIR /opt/ariadne

COPY pyproject.toml requirements.lock README.md ./
COPY ariadne_core ./ariadne_core
COPY ariadne_api ./ariadne_api
COPY ariadne_pipelines ./ariadne_pipelines
COPY expectations ./expectations
COPY workspace.yaml dagster.yaml celery.yaml ./
COPY tools/fetch_tokenizer.py ./tools/fetch_tokenizer.py
COPY --from=explorer /app/dist ./explorer

RUN pip install --no-cache-dir -c requirements.lock . \
    && pip check \
    && python tools/fetch_tokenizer.py \
    && python -m ariadne_core.embedding.quantize \
    && mkdir -p "$DAGSTER_HOME" && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"

EXPOSE 8000 3000
CMD ["uvicorn", "ariadne_api.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
