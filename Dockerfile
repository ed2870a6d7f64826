# citebot on a slim Python, as a non-root user. Same install steps as .ci/run proves.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 citebot
WORKDIR /app
COPY --chown=citebot:citebot . /app
# With the [formats] extra, so the image reads HTML, PDF and Word files too.
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install "/app[formats]"
ENV PATH="/opt/venv/bin:$PATH"

USER citebot
# Build the index at image build time would bake it into a layer; it is built on first start instead,
# into the user's cache (~/.cache/citebot), or where [corpus] index_path says.
# `citebot serve` runs every front end whose secrets are in the environment (SLACK_BOT_TOKEN and SLACK_APP_TOKEN,
# DISCORD_TOKEN), with /healthz, /readyz and /metrics on [serve] port (8080, on 127.0.0.1 unless the config says
# host = "0.0.0.0", which a probe or Prometheus from outside the container needs). SIGTERM drains, then exits 0.
EXPOSE 8080
STOPSIGNAL SIGTERM
# The index may take minutes to build on first start: /healthz answers meanwhile (readiness is /readyz's job).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["citebot", "serve"]
