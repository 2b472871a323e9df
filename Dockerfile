# The credit-graph API and pages. Built and started by docker-compose.yml beside Neo4j.
# The pages' front-end packages come from the npm registry at build time (web/package-lock.json).
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CREDIT_GRAPH_CYPHER_DIR=/app/cypher \
    CREDIT_GRAPH_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph_service ./graph_service
COPY loaders ./loaders
COPY cypher ./cypher
COPY --from=web /web/node_modules/cytoscape/dist/cytoscape.min.js ./graph_service/web/static/vendor/
RUN pip install . && useradd --system --home-dir /data credit && mkdir -p /data /keys \
  && chown credit /data /keys && chmod 700 /data /keys

USER credit
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["credit-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]
