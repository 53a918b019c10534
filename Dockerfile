# syntax=docker/dockerfile:1
# One image for every process: `tradewind web | worker | gateway` (ECS sets the command per
# service, infra/src/tradewind_infra/services.py), plus the provisioning script. Built from
# uv.lock only: `uv sync --frozen` fails instead of resolving anything new.
#
#   docker build -t tradewind .      (from the repository root; docs/deploy.md pushes it to ECR)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PYTHON_PREFERENCE=only-system \
    UV_PROJECT_ENVIRONMENT=/app/.venv
# g++ and make: quickfix (the FIX engine of the broker adapter) is an sdist, compiled here once per lock
RUN apt-get update && apt-get install -y --no-install-recommends g++ make && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir "uv==0.13.9"
WORKDIR /src
# 1. dependencies only, from the lock: a layer that changes only when uv.lock does. uv needs every
#    workspace member's pyproject.toml to read the lock, so all of them are copied here.
COPY pyproject.toml uv.lock ./
COPY packages/domain/pyproject.toml packages/domain/
COPY packages/application/pyproject.toml packages/application/
COPY packages/adapters-aws/pyproject.toml packages/adapters-aws/
COPY packages/adapters-broker/pyproject.toml packages/adapters-broker/
COPY packages/client/pyproject.toml packages/client/
COPY apps/web/pyproject.toml apps/web/
COPY apps/worker/pyproject.toml apps/worker/
COPY apps/gateway/pyproject.toml apps/gateway/
COPY apps/venue/pyproject.toml apps/venue/
COPY apps/cli/pyproject.toml apps/cli/
COPY infra/pyproject.toml infra/
RUN uv sync --frozen --no-dev --package tradewind-cli --no-install-workspace
# 2. our packages, installed as wheels (no editable paths back into /src)
COPY packages packages
COPY apps apps
RUN uv sync --frozen --no-dev --package tradewind-cli --no-editable

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --no-create-home tradewind
COPY --from=build /app/.venv /app/.venv
COPY infra/provision/create_topics.py /app/provision/create_topics.py
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 TRADEWIND_PROFILE=aws
USER tradewind
WORKDIR /app
EXPOSE 8000 8001 8002
ENTRYPOINT ["tradewind"]
CMD ["web", "--host", "0.0.0.0", "--port", "8000"]
