# fifogate-processor: the worker that runs PROC_COMMAND per request for its
# processor kind (PROC_NAME).  It ships the commands of the Compose kinds:
# aspell -a (spell, the default command) and cmark-gfm (markdown).
# Build context: the repository root.
#   docker build -f docker/processor.Dockerfile -t fifogate-processor .
#
# The build stage is byte-for-byte the same in docker/web.Dockerfile, so
# whichever image is built second reuses the first one's cached layers (one
# compile for both binaries).

# ---- build: compiler, -dev packages, both binaries ---------------------------
FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake make \
      xz-utils debian-archive-keyring libboost-dev libboost-filesystem-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# cpp-httplib's header, fetched by apt from Debian's archive and checked
# against its pinned SHA-256 (scripts/fetch-httplib.sh), before the sources
# so this layer is cached across code changes.
COPY scripts/fetch-httplib.sh /tmp/fetch-httplib.sh
RUN /tmp/fetch-httplib.sh /opt/fifogate-cache && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DFIFOGATE_TESTS=OFF \
      -DFIFOGATE_HTTPLIB_DIR=/opt/fifogate-cache/cpp-httplib-0.41.0 \
 && cmake --build /build -j"$(nproc)" --target fifogate-web fifogate-processor \
 && strip --strip-unneeded /build/web/fifogate-web /build/processor/fifogate-processor

# ---- runtime: the binary, its shared libraries and the commands --------------
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends libboost-filesystem1.74.0 libstdc++6 aspell aspell-en cmark-gfm \
 && rm -rf /var/lib/apt/lists/*
# Same ids in both images: group fifogate (4567) owns the FIFOs and lock files
# (mode 0660); the web runs as 4568, the processors as 4569 (spell, and the
# image's default) and 4570 (markdown), none as root.  PROC_DIR
# (/run/fifogate) holds one directory per processor kind; those of the
# Compose kinds are root:fifogate 2770 and empty here, so the named volume
# mounted on each starts out that way (Docker copies a mount point's owner
# and mode into a fresh volume): writable by the group, and what is made in
# it belongs to the group.
RUN groupadd --system --gid 4567 fifogate \
 && useradd --system --uid 4568 --gid fifogate --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin fifogate-web \
 && useradd --system --uid 4569 --gid fifogate --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin fifogate-proc \
 && useradd --system --uid 4570 --gid fifogate --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin fifogate-markdown \
 && install -d -o root -g fifogate -m 2770 /run/fifogate \
      /run/fifogate/spell /run/fifogate/markdown
COPY --from=build /build/processor/fifogate-processor /usr/local/bin/fifogate-processor
# Fail the build here, not at run time, when a shared library is missing.
RUN if ldd /usr/local/bin/fifogate-processor | grep 'not found'; then exit 1; fi \
 && /usr/local/bin/fifogate-processor --version \
 && echo 'fifogate' | aspell -a >/dev/null \
 && printf '| a |\n|---|\n| ~~b~~ |\n' | cmark-gfm --extension table --extension strikethrough | grep -q '<del>b</del>'

LABEL org.opencontainers.image.title="fifogate-processor" \
      org.opencontainers.image.description="fifogate worker: runs PROC_COMMAND (default aspell -a; cmark-gfm installed too) once per request"
# HOME: aspell looks there for personal dictionaries; /tmp is a tmpfs in
# docker-compose.yml, where the root filesystem is read-only.
ENV HOME=/tmp
USER 4569:4567
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/fifogate-processor", "--healthcheck"]
# umask 0007 keeps anything the worker or its command creates out of reach
# of other users (the FIFOs and lock files get 0660 whatever the umask).
ENTRYPOINT ["/bin/sh", "-c", "umask 0007 && exec /usr/local/bin/fifogate-processor \"$@\"", "fifogate-processor"]
CMD []
