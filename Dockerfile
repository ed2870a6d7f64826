# citebot on a slim Python, as a non-root user. Same install steps as .ci/run proves.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 citebot
WORKDIR /app
COPY --chown=citebot:citebot . /app
# With the [formats] extra, so the image reads HTML, PDF and Word files too, and [postgresql] for replicas'
# shared store.
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install "/app[formats,postgresql]"
ENV PATH="/opt/venv/bin:$PATH"
# Where deploy/ mounts (or a derived image copies) the documents, and keeps the index: owned by citebot, so a
# named volume mounted on /data/index starts out writable for it.
RUN mkdir -p /data/corpus /data/index && chown -R citebot:citebot /data

USER citebot
# Build the index at image build time would bake it into a layer; it is built on first start instead,
# into the user's cache (~/.cache/citebot), or where [corpus] index_path says.
# `citebot serve` runs every front end whose secrets are in the environment (SLACK_BOT_TOKEN and SLACK_APP_TOKEN,
# DISCORD_TOKEN), with /healthz, /readyz and /metrics on [serve] port (8080, on 127.0.0.1 unless the config says
# host = "0.0.0.0", which a probe or Prometheus from outside the container needs). SIGTERM drains, then exits 0.
# The config file is the one CITEBOT_CONFIG names (deploy/ mounts one); without it, the defaults.
EXPOSE 8080
STOPSIGNAL SIGTERM
# The index may take minutes to build on first start: /healthz answers meanwhile (readiness is /readyz's job).
# `citebot healthcheck` reads the same config as serve (CITEBOT_CONFIG), so the check follows [serve] port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["citebot", "healthcheck"]
CMD ["citebot", "serve"]
