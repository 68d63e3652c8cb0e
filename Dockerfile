# syntax=docker/dockerfile:1

# Build stage: a static binary (CGO_ENABLED=0 works because the embedded
# SQLite driver, github.com/glebarez/sqlite, is pure Go).
FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so editing code does not re-download modules.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/switchboard ./cmd/switchboard
# The uploads directory exists in the image, owned by the runtime user, so a
# named volume mounted there starts with that ownership (Docker copies a
# mount point's ownership into a new volume).
RUN mkdir -p /out/uploads

# Runtime stage: distroless static has CA certificates (for HTTPS webhook
# receivers) and tzdata but no shell or package manager; the :nonroot tag
# runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/switchboard /switchboard
COPY --from=build --chown=65532:65532 /out/uploads /home/nonroot/uploads
# A writable working directory, so the default SQLite path (.data/, used
# when SWITCHBOARD_DATABASE_URL is empty) works for the non-root user.
WORKDIR /home/nonroot
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/switchboard"]
CMD ["serve"]
