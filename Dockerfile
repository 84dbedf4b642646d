# syntax=docker/dockerfile:1
# The `traefikee` image: control nodes and data nodes (`traefikeectl install --kubernetes`
# references it; the name and tag are settable there).
#
#   docker build -t ghcr.io/traefikee/traefikee:0.1.0 .
#   docker build --build-arg RUST_VERSION=1.88 -t traefikee:dev .
#
# The runtime image is Debian slim rather than distroless: the controllers' start script and
# readiness probe run under /bin/sh (the pod's ordinal picks bootstrap or join; the probe
# greps `traefikee status` for a leader).

ARG RUST_VERSION=1
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# The whole workspace: cargo needs every member's manifest. .dockerignore keeps target/ out.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p traefikee-node --bin traefikee \
    && install -D -m 0755 target/release/traefikee /out/traefikee

FROM debian:${DEBIAN_RELEASE}-slim
ARG APP_UID=65532
# A fixed non-root user (the manifests run as 65532:65532), and the directories a node
# writes to, for `docker run` without volumes (pass --statedir=/var/lib/traefikee/state);
# Kubernetes mounts volumes there.
RUN groupadd --system --gid ${APP_UID} traefikee \
    && useradd --system --uid ${APP_UID} --gid ${APP_UID} --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin traefikee \
    && install -d -o ${APP_UID} -g ${APP_UID} -m 0700 /var/lib/traefikee /var/run/traefikee
COPY --from=build /out/traefikee /usr/local/bin/traefikee
USER ${APP_UID}:${APP_UID}
ENV TRAEFIKEE_SOCKET=/var/run/traefikee/traefikee.sock
WORKDIR /var/lib/traefikee
# 4242 cluster port and 55055 mTLS API (controllers); 80/443 entry points and 8082 /ping and
# /metrics (proxies).
EXPOSE 4242 55055 80 443 8082
ENTRYPOINT ["traefikee"]
CMD ["--help"]
