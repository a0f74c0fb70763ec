# syntax=docker/dockerfile:1
# One image per app, one target each: manager, media, chat, web (Bun on Debian) and cdn (nginx on Debian,
# rendered by infra/cdn.sh). Build one with `docker build --target media -t hearth-media .`; compose.yaml
# builds them all.
ARG BUN_VERSION=1.4.5

# Every workspace's sources and production dependencies, installed from the committed lockfile.
FROM oven/bun:${BUN_VERSION}-debian AS source
WORKDIR /app
COPY . .
RUN bun install --frozen-lockfile --production \
 && mkdir -p /app/data \
 && chown -R bun:bun /app/data /app/apps/web/static
ENV NODE_ENV=production BIND_HOST=0.0.0.0 DATA_DIR=/app/data

FROM source AS manager
USER bun
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:8081/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "apps/manager/src/main.ts"]

FROM source AS chat
USER bun
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:8082/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "apps/chat/src/main.ts"]

FROM source AS web
USER bun
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "apps/web/src/main.ts"]

# The media node transcodes with Debian's ffmpeg (the same 5.1 the tests run).
FROM oven/bun:${BUN_VERSION}-debian AS media
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=source /app /app
ENV NODE_ENV=production BIND_HOST=0.0.0.0 DATA_DIR=/app/data
USER bun
EXPOSE 8083 1935
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:8083/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "apps/media/src/main.ts"]

# Origin shield and edge: Debian's nginx, configured by infra/cdn.sh from CDN_* variables at start.
FROM debian:bookworm-slim AS cdn
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/cache/hearth-cdn \
 && chown www-data:www-data /var/cache/hearth-cdn
COPY infra /app/infra
ENV CDN_DIR=/var/cache/hearth-cdn CDN_BIND=0.0.0.0
USER www-data
ENTRYPOINT ["/app/infra/cdn.sh"]
CMD ["serve", "edge"]
