# rallybot in a container. Build and run:
#   docker build -t rallybot .
#   docker run -d --name rallybot --restart on-failure --env-file .env -v rallybot-data:/data rallybot
# The database (rallybot.db, -wal, -shm) lives in the /data volume; back it up
# from the running container with: docker exec rallybot rallybot backup /data/backup.db

# The Go version is go.mod's, patch included, so the build never has to fetch
# a newer toolchain; the runtime image is the same Debian release (the binary
# links its glibc). dockerfile_test.go checks both against go.mod.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# go-sqlite3 is cgo: CGO_ENABLED=1 with the image's gcc. -trimpath keeps build
# paths out of the binary. (.git stays out of the image, so `rallybot version`
# shows the module version only; build with `go build` from a clone for the revision.)
RUN CGO_ENABLED=1 go build -trimpath -ldflags='-s -w' -o /out/rallybot .

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin rallybot \
 && install -d -o rallybot -g rallybot -m 0700 /data
COPY --from=build /out/rallybot /usr/local/bin/rallybot
USER rallybot
WORKDIR /data
ENV DATABASE_PATH=/data/rallybot.db
# A soft ceiling for the Go heap, as in deploy/rallybot.service (BENCHMARKS.md,
# "Memory under a storm"); override with -e GOMEMLIMIT=….
ENV GOMEMLIMIT=40MiB
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/rallybot"]
CMD ["run"]
