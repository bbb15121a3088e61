# Build: one static binary (no cgo: SQLite is modernc.org/sqlite).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party ./third_party
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/classroomd ./cmd/classroomd

# Run: a small Debian with the system python3 that student workspaces use, and the
# course libraries every student can import.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-numpy python3-pandas python3-matplotlib ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /data --shell /usr/sbin/nologin classroomd \
 && mkdir -p /data && chown classroomd:classroomd /data
COPY --from=build /out/classroomd /usr/local/bin/classroomd
# Runs unprivileged for now; the sandbox (namespaces, cgroups) will need documented capabilities.
USER classroomd
ENV CLASSROOMD_DATA_DIR=/data \
    CLASSROOMD_SSH_ADDR=:2222 \
    CLASSROOMD_HTTP_ADDR=:8080
VOLUME /data
EXPOSE 2222 8080
ENTRYPOINT ["classroomd"]
CMD ["serve"]
