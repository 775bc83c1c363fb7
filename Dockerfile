# lockstep in a container. The container must set `listen: 0.0.0.0:9797` AND api.tokens in its
# config: lockstep refuses to bind a non-loopback address without tokens.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin lockstep

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/lockstep --shell /usr/sbin/nologin lockstep \
 && install -d -o lockstep -g lockstep -m 0700 /var/lib/lockstep \
 && install -d -m 0755 /etc/lockstep
COPY --from=build /src/target/release/lockstep /usr/local/bin/lockstep
USER lockstep
VOLUME ["/var/lib/lockstep"]
EXPOSE 9797
ENTRYPOINT ["/usr/local/bin/lockstep"]
CMD ["run", "--config", "/etc/lockstep/config.yaml"]
