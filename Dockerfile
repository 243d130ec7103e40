# Image for deploy/docker-compose.yml: the same set-up as `make run` on a fresh machine.
FROM python:3.10-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends make curl nodejs npm build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
ENV PYTHON310=/usr/local/bin/python3.10
# A busy server's slow turn is finished, not cut off at Sanic's 60 s (see the Makefile).
ENV SANIC_RESPONSE_TIMEOUT=3600
RUN make setup widget train
EXPOSE 5005
