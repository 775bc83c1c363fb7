# lockstep in a container. The container must set `listen: 0.0.0.0:9797` AND api.tokens in its
# config: lockstep refuses to bind a non-loopback address without tokens.
#
# Checked by hadolint (deploy/check.sh). Package versions are pinned to what Debian bookworm
# (with bookworm-security) ships; when a security update replaces one, the build fails until the
# pin is raised: `docker run --rm debian:bookworm-slim sh -c 'apt-get update -qq && apt-cache
# madison ca-certificates'`.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin lockstep

FROM debian:bookworm-slim
# A fixed numeric user, so that volume ownership and Kubernetes' runAsNonRoot can be checked
# without a passwd lookup on the host.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=20250419~deb12u2 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 lockstep \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/lockstep \
      --shell /usr/sbin/nologin lockstep \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/lockstep \
 && install -d -m 0755 /etc/lockstep
COPY --from=build /src/target/release/lockstep /usr/local/bin/lockstep
USER 10001:10001
VOLUME ["/var/lib/lockstep"]
EXPOSE 9797
# The binary checks itself (GET /healthz, exit 0 or 1): the image needs no curl. It asks
# http://127.0.0.1:9797 unless LOCKSTEP_SERVER says otherwise (set it if `listen` uses another
# port).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/lockstep", "healthcheck", "--timeout", "5s"]
ENTRYPOINT ["/usr/local/bin/lockstep"]
CMD ["run", "--config", "/etc/lockstep/config.yaml"]
