# syntax=docker/dockerfile:1
# etle-edge on an x86_64 box: CPU ONNX Runtime, the bundled models, an unprivileged user.
#   docker build -t etle-edge:0.1.0 .
#   docker run ... (README, "Deploying a box")
# Everything the box needs is in the image: nothing is downloaded at run time.

# Debian 12 with CPython 3.11, the Python the project pins (pyproject: >=3.11,<3.12).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/etle-edge/.venv/bin:$PATH

# chronyc only (the daemon is not started): the box asks the host's chrony whether the clock is
# synced (edge/clock.py) and writes the answer into every event and its status; with
# `--network host` it reaches the host's chronyd on 127.0.0.1:323. Versions are not pinned: the base
# image tag pins the release, and security updates should land.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends chrony \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/etle-edge

# Dependencies first, from pyproject alone, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python3 -m venv .venv \
 && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && .venv/bin/pip install --requirement /tmp/requirements.txt \
 # opencv-python (a Qt build needing libGL) and opencv-python-headless share one cv2/ folder and the
 # last installed wins: make it the headless one, which needs no X libraries in a slim image.
 && .venv/bin/pip install --no-deps --force-reinstall "$(grep '^opencv-python-headless==' /tmp/requirements.txt)" \
 && rm /tmp/requirements.txt

# Editable: the code finds models/ and calibration/ beside itself (edge/paths.py), so they must stay
# in this tree rather than the package going to site-packages.
COPY edge/ edge/
COPY models/ models/
COPY calibration/ calibration/
RUN .venv/bin/pip install --no-deps --editable . \
 && .venv/bin/python -m compileall -q edge \
 && .venv/bin/etle-edge --help > /dev/null

# The box's own user; its key, chain state, evidence and outbox live in the volume.
RUN groupadd --system --gid 10001 etle-edge \
 && useradd --system --uid 10001 --gid etle-edge --home-dir /var/lib/etle-edge --shell /usr/sbin/nologin etle-edge \
 && install -d -o etle-edge -g etle-edge -m 0750 /var/lib/etle-edge \
 && install -d -m 0755 /etc/etle-edge
VOLUME ["/var/lib/etle-edge"]

# One JSON object per log line for `docker logs` and log shippers; ONNX Runtime's cache file goes to
# the volume (the image may run with --read-only).
ENV ETLE__LOGGING__FORMAT=json \
    ETLE__METRICS__ENABLED=true \
    ETLE__METRICS__HOST=0.0.0.0 \
    XDG_CACHE_HOME=/var/lib/etle-edge/cache

USER 10001
WORKDIR /var/lib/etle-edge

# The first SIGTERM stops cleanly (violations in hand written, outbox drained for
# delivery.drain_timeout_s): give `docker stop` / `docker run` a --stop-timeout of 120 s.
# Prometheus /metrics (edge.metrics): publish it only where the scraper is (`-p 127.0.0.1:9108:9108`).
EXPOSE 9108
STOPSIGNAL SIGTERM
# selftest loads the models and probes camera and broker (each check bounded by its --timeout-s):
# every 5 minutes, not every 30 s, on a 2-core box.
HEALTHCHECK --interval=5m --timeout=120s --start-period=3m --retries=3 \
  CMD ["etle-edge", "selftest", "--site", "/etc/etle-edge/site.yaml", "--settings", "/etc/etle-edge/settings.yaml", "--key-dir", "/var/lib/etle-edge/keys", "--evidence-dir", "/var/lib/etle-edge/evidence", "--json"]

ENTRYPOINT ["etle-edge"]
CMD ["run", "--site", "/etc/etle-edge/site.yaml", "--settings", "/etc/etle-edge/settings.yaml", "--key-dir", "/var/lib/etle-edge/keys", "--evidence-dir", "/var/lib/etle-edge/evidence", "--quiet"]
