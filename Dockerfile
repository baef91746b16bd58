# The `alpes` image: the CLI and every worker (`alpes worker run <name>`), no dev tools.
#
#   docker build -t alpespartners/alpes .
#   docker run --rm alpespartners/alpes --help
#
# Two stages: `build` installs into a virtualenv at /opt/venv, the runtime stage copies
# only that virtualenv (no pip cache, no sources, no build tools in the final image).

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# 1. The dependencies alone, read from pyproject.toml: this layer is rebuilt only when
#    pyproject.toml changes, not on every source edit. (setuptools cannot install the
#    project itself before its packages are copied, so the two steps are separate.)
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.txt', 'w').write(chr(10).join(deps) + chr(10))" \
    && pip install -r /tmp/requirements.txt

# 2. The project itself (no dev extras); its dependencies are already in place.
COPY . .
RUN pip install --no-deps . \
    && alpes --help > /dev/null


FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# An unprivileged user; /app is its home and working directory. /app/var is the data
# directory (ALPES_DATA_DIR, e.g. the log sender's notifications file); it exists in the
# image, owned by that user, so a volume mounted there starts out writable.
RUN groupadd --system --gid 10001 alpes \
    && useradd --system --uid 10001 --gid alpes --home-dir /app --create-home \
       --shell /usr/sbin/nologin alpes \
    && install -d -o alpes -g alpes /app/var

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
USER 10001:10001

# Workers stop gracefully on SIGTERM (finish in-flight messages, then exit).
STOPSIGNAL SIGTERM
ENTRYPOINT ["alpes"]
CMD ["--help"]
