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
CMD ["citebot", "console"]
