# Optiscope: `docker build --build-arg GIT_REVISION=$(git rev-parse HEAD) -t optiscope .`
# The image runs `python -m service`; settings come from OPTISCOPE_ variables (see the README).

# --- builder: install the package and its dependencies into a virtual environment ---------------------
FROM python:3.11.13-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first, exactly as pinned, in their own layer: a code change does not reinstall them. The pins
# include the `figures` extra (matplotlib), so the image answers SVG and PNG too.
# No pip cache is kept; the bytecode pip compiles stays, so a read-only container starts without recompiling.
COPY deploy/constraints.txt ./deploy/constraints.txt
RUN pip install --no-cache-dir --requirement deploy/constraints.txt
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install --no-cache-dir --no-deps .
# The optimizers' kernels and the JSON writer, compiled now (~30-45 s) rather than at every container start:
# the runtime copies them into its own (empty, writable) cache. On a CPU unlike this one they are recompiled.
RUN OPTISCOPE_KERNEL_CACHE=/opt/optiscope-kernels python -m service.precompile

# --- runtime: the slim base, the virtual environment, an unprivileged user ---------------------------
FROM python:3.11.13-slim-bookworm

ARG GIT_REVISION=""
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPTISCOPE_HOST=0.0.0.0 \
    OPTISCOPE_PORT=8000 \
    OPTISCOPE_WORKERS=1 \
    OPTISCOPE_GIT_REVISION=${GIT_REVISION} \
    OPTISCOPE_KERNEL_CACHE=/tmp/optiscope-kernels \
    OPTISCOPE_KERNEL_SEED=/opt/optiscope-kernels \
    MPLCONFIGDIR=/tmp/matplotlib

RUN groupadd --system --gid 10001 optiscope \
    && useradd --system --uid 10001 --gid optiscope --no-create-home --shell /usr/sbin/nologin optiscope

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /opt/optiscope-kernels /opt/optiscope-kernels

WORKDIR /app
USER 10001:10001
EXPOSE 8000

# Slim images have no curl: the probe is Python's standard library, on the port the server uses.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "service.healthcheck"]

# SIGTERM: stop accepting, finish requests in flight (OPTISCOPE_SHUTDOWN_TIMEOUT), exit.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "service"]
