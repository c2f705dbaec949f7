# syntax=docker/dockerfile:1.7
# Taskboard service image.
#   web     : builds the web client (web/ -> web/dist)
#   builder : builds wheels; dependencies in their own (cached) layer
#   rds-ca  : fetches the RDS CA bundle (TLS to MySQL), throwaway
#   runtime : slim Python, no compilers, non-root (uid 10001)
# Base images are pinned by digest, beside their exact version tags (see
# deploy/README.md, "Image", for where the digests come from).

ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm@sha256:519591d6871b7bc437060736b9f7456b8731f1499a57e22e6c285135ae657bf7
ARG NODE_IMAGE=node:20.19.4-bookworm-slim@sha256:6db5e436948af8f0244488a1f658c2c8e55a3ae51ca2e1686ed042be8f25f70a

# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---------------------------------------------------------------------------
# The CA bundle the service verifies the database's certificate against
# (TASKBOARD_DATABASE_CA_FILE). RDS's CAs (rds-ca-rsa2048-g1, ...) are not public
# roots, so the system store cannot. Fetched over https only (urllib verifies
# the server against the base image's CA store) and checked to be a PEM bundle of
# CA certificates; no checksum pin, because Amazon adds CAs to the bundle.
FROM ${PYTHON_IMAGE} AS rds-ca
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RUN python -c "import ssl, sys, urllib.request; \
url = sys.argv[1]; assert url.startswith('https://'), url; \
open('/rds-global-bundle.pem', 'wb').write(urllib.request.urlopen(url, timeout=60).read()); \
context = ssl.create_default_context(cafile='/rds-global-bundle.pem'); \
assert context.get_ca_certs(), 'no CA certificate in the RDS bundle'" "${RDS_CA_BUNDLE_URL}"

# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Every dependency ships manylinux wheels for CPython 3.12 (checked for
# x86_64), so no compiler is installed in any stage. If one ever needs to be
# built from source, install gcc here (builder only), never in runtime.
WORKDIR /src

# 1) dependency wheels from the runtime lock (exact versions, sha256 of every file; written
#    by `make lock` for CPython 3.12 on x86_64): only invalidated when the lock changes.
#    No extras: the embedded AWS emulator (moto, Flask, cfn-lint, docker) stays out.
COPY requirements/runtime.lock ./
RUN pip wheel --require-hashes --only-binary=:all: --wheel-dir /wheels/deps -r runtime.lock \
    && cp runtime.lock /wheels/deps/runtime.lock

# 2) the application wheel
COPY README.md ./
COPY taskboard/ taskboard/
COPY schema/ schema/
COPY resolvers/ resolvers/
COPY models/ models/
COPY auth/ auth/
COPY notify/ notify/
RUN pip wheel --no-deps --wheel-dir /wheels/app .

# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TASKBOARD_ENV=production \
    TASKBOARD_WEB_DIR=/app/web/dist \
    TASKBOARD_DATABASE_CA_FILE=/etc/taskboard/rds-global-bundle.pem

RUN groupadd --system --gid 10001 taskboard \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin taskboard

# Dependencies first (own layer), then the application; wheels are mounted,
# never copied, so they do not stay in the image.
RUN --mount=type=bind,from=builder,source=/wheels/deps,target=/wheels/deps \
    pip install --no-index --require-hashes --find-links=/wheels/deps -r /wheels/deps/runtime.lock
RUN --mount=type=bind,from=builder,source=/wheels/app,target=/wheels/app \
    pip install --no-index --no-deps /wheels/app/*.whl

WORKDIR /app
# Static web client, owned by root: read-only for the service user.
COPY --from=web /src/web/dist /app/web/dist
# TLS to MySQL verifies against this (root-owned, read-only).
COPY --from=rds-ca /rds-global-bundle.pem /etc/taskboard/rds-global-bundle.pem

USER 10001:10001
EXPOSE 8000

# No curl in slim images: probe /healthz with the interpreter.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status == 200 else 1)"]

CMD ["taskboard", "serve", "--host", "0.0.0.0", "--port", "8000"]
