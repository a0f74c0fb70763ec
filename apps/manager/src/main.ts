import { openDatabase } from "@hearth/db";
import {
  AppMetrics,
  type AppStartOptions,
  createLogger,
  internalClient,
  type RunningApp,
  runStandalone,
} from "@hearth/server-kit";
import { adminRoutes } from "./admin-routes.ts";
import { createApp } from "./app.ts";
import { clipStore } from "./clip-store.ts";
import { creationGuard, managerSafety } from "./creation-policy.ts";
import { parseEnv } from "./env.ts";
import { idleStreamSweeper } from "./idle-streams.ts";
import { liveStateStore } from "./live-state.ts";
import { mediaNodeStore } from "./media-nodes.ts";
import { pageCache } from "./page-cache.ts";
import { tokenBuckets } from "./rate-limit.ts";
import { nodeRecordingFiles } from "./recording-files.ts";
import { recordingRetention } from "./recording-retention.ts";
import { httpChatService, placedMediaService } from "./services.ts";
import { streamStore } from "./stream-store.ts";
import { videoStore } from "./video-store.ts";
import { polledViewerCounts } from "./viewer-counts.ts";

// Readiness probes answer quickly or count as down: /readyz must not hang on a dead peer.
const PROBE_TIMEOUT_MS = 1500;

/** Starts the manager: opens (or borrows) the database, migrates, serves the API. */
export async function start(o: AppStartOptions): Promise<RunningApp> {
  const env = parseEnv(o.env);
  const ownDb = !o.db;
  const handle = o.db ?? (await openDatabase({ url: env.DATABASE_URL, dataDir: `${env.DATA_DIR}/pglite` }));
  if (ownDb) await handle.migrate();

  const client = (service: string, baseUrl: string, timeoutMs?: number) =>
    internalClient({ service, baseUrl, token: env.INTERNAL_TOKEN, ...(timeoutMs ? { timeoutMs } : {}) });
  const chat = httpChatService(
    client("chat", env.CHAT_INTERNAL_URL),
    client("chat", env.CHAT_INTERNAL_URL, PROBE_TIMEOUT_MS),
  );
  const nodes = mediaNodeStore(handle.db, { timeoutMs: env.NODE_TIMEOUT_MS });
  const liveState = liveStateStore(handle.db, { timeoutMs: env.NODE_TIMEOUT_MS });
  const mediaClient = (baseUrl: string) => client("media", baseUrl, 5000);
  const media = placedMediaService({
    nodes,
    single: mediaClient(env.MEDIA_INTERNAL_URL),
    clientFor: mediaClient,
    probe: client("media", env.MEDIA_INTERNAL_URL, PROBE_TIMEOUT_MS),
  });
  const files = nodeRecordingFiles({
    nodes,
    single: mediaClient(env.MEDIA_INTERNAL_URL),
    clientFor: mediaClient,
  });
  const viewers = polledViewerCounts(chat, env.COUNTS_POLL_MS, o.logger);
  const store = streamStore(handle.db);
  const metrics = new AppMetrics("manager");
  const videos = videoStore(handle.db, Date.now);
  // Shared with the sweepers (idle streams, recording retention), whose removals the lists must not keep serving.
  const pages = pageCache(env.DIRECTORY_CACHE_MS);
  const safety = managerSafety(handle.db, {
    policy: env.STREAM_CREATION,
    adminToken: env.ADMIN_TOKEN,
    ratePerHour: env.CREATE_RATE_PER_HOUR,
    burst: env.CREATE_BURST,
    maxOpenPerClient: env.MAX_OPEN_STREAMS_PER_IP,
    maxOpen: env.MAX_OPEN_STREAMS,
    trustedProxies: env.TRUSTED_PROXIES,
    nodeTimeoutMs: env.NODE_TIMEOUT_MS,
    viewers,
    clock: Date.now,
  });
  const app = createApp({
    store,
    nodes,
    liveState,
    media,
    chat,
    viewers,
    videos,
    clips: clipStore(handle.db),
    files,
    owners: safety,
    clipBuckets: tokenBuckets({ burst: env.CLIP_BURST, perHour: env.CLIP_RATE_PER_HOUR, clock: Date.now }),
    pages,
    clock: Date.now,
    logger: o.logger,
    internalToken: env.INTERNAL_TOKEN,
    publicWebUrl: env.PUBLIC_WEB_URL,
    directoryCacheMs: env.DIRECTORY_CACHE_MS,
    metrics,
    guardCreation: creationGuard(safety, o.logger, metrics),
    admin: adminRoutes({ safety, store, media, chat, logger: o.logger }),
  });
  const idle = idleStreamSweeper({
    db: handle.db,
    media,
    chat,
    logger: o.logger,
    clock: Date.now,
    ttlMs: env.STREAM_IDLE_TTL,
    onRemoved: pages.clear,
  });
  const retention = recordingRetention({
    videos,
    files,
    chat,
    logger: o.logger,
    clock: Date.now,
    onDeleted: () => pages.clear(),
    retentionMs: env.RECORDING_RETENTION_DAYS * 86_400_000,
    maxBytes: env.RECORDING_MAX_BYTES,
    nodeTimeoutMs: env.NODE_TIMEOUT_MS,
  });
  const server = Bun.serve({ port: env.MANAGER_PORT, hostname: env.BIND_HOST, fetch: app.fetch });
  viewers.start();
  // Streams on a node that stopped heart-beating show offline within NODE_TIMEOUT_MS + one sweep.
  const sweeper = setInterval(() => {
    liveState.sweep().catch((err) => o.logger.warn("node sweep failed", { err: (err as Error).message }));
  }, 2000);
  // A minute is fine-grained enough for a TTL counted in hours.
  idle.start(Math.min(60_000, env.STREAM_IDLE_TTL));
  // A silent node's recordings are finished within NODE_TIMEOUT_MS + one sweep; age and size limits are coarse.
  retention.start(Math.max(2000, Math.min(60_000, env.NODE_TIMEOUT_MS)));
  return {
    name: "manager",
    urls: { API: `http://localhost:${server.port}`, OpenAPI: `http://localhost:${server.port}/openapi.json` },
    async stop() {
      viewers.stop();
      clearInterval(sweeper);
      idle.stop();
      retention.stop();
      await server.stop(true);
      if (ownDb) await handle.close();
    },
  };
}

if (import.meta.main) {
  // The tokens themselves are redacted from every log line, whatever their shape.
  const logger = createLogger(
    { svc: "manager" },
    { secrets: [process.env.INTERNAL_TOKEN ?? "", process.env.ADMIN_TOKEN ?? ""] },
  );
  // The manager keeps no state of its own (Postgres has it all), so a restart loses nothing: an exception
  // nobody caught leaves the process in an unknown state, and it exits for its supervisor to restart it. A
  // rejected promise nobody handled is a bug in one path (a request is already answered by onError), so it is
  // logged with its stack and the manager keeps serving. See apps/manager/README.md.
  await runStandalone(
    start,
    { env: process.env, logger },
    { uncaughtException: "exit", unhandledRejection: "log" },
  );
}
