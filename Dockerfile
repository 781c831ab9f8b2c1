# syntax=docker/dockerfile:1
# The service's image: one image for every process (API, workers, dispatcher, read
# models, review queue, programme), chosen by the command. Secrets are never in it:
# they come from the environment or from files (docs/deploy.md).

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

# ---------------------------------------------------------------- build
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/prakerja
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY src ./src
COPY migrations ./migrations
# As the Makefile installs: every version from constraints.txt; face_recognition with
# --no-deps, because it declares `dlib`, which pip would compile from source, while
# dlib-bin (already installed) is the same library prebuilt.
RUN /opt/prakerja/bin/python -m pip install --quiet "pip==26.3" \
    && /opt/prakerja/bin/python -m pip install --quiet -c constraints.txt . \
    && /opt/prakerja/bin/python -m pip install --quiet --no-deps -c constraints.txt \
        face_recognition==1.3.0 \
    && /opt/prakerja/bin/python -m pip check

# ---------------------------------------------------------------- runtime
# The same slim base, with none of the build's leftovers: only the virtual environment
# is copied (no compiler is in either stage; every dependency installs from a wheel).
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 prakerja \
    && useradd --system --uid 10001 --gid prakerja --no-create-home \
        --home-dir /var/lib/prakerja --shell /usr/sbin/nologin prakerja \
    && install -d -o prakerja -g prakerja -m 0750 /var/lib/prakerja
COPY --from=build /opt/prakerja /opt/prakerja
ENV PATH=/opt/prakerja/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRAKERJA_MODE=production \
    PRAKERJA_DATA_DIR=/var/lib/prakerja \
    PRAKERJA_HTTP_HOST=0.0.0.0 \
    PRAKERJA_HTTP_PORT=8000
USER 10001:10001
WORKDIR /var/lib/prakerja
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
ENTRYPOINT ["prakerja"]
CMD ["serve"]
