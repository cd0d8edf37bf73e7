# mxscope as a container image: a static binary on an empty base, run as a
# non-root user. Build with `make image` (docker or podman).
#
# The only file besides the binary is the CA bundle, which the MTA-STS policy
# fetch (the one HTTPS request mxscope makes) needs to check certificates.

FROM docker.io/library/golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/mxscope ./cmd/mxscope

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/mxscope /mxscope
# 65532 is the conventional "nonroot" uid/gid of distroless images; nothing
# in the image runs as root.
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["/mxscope"]
CMD ["--help"]
