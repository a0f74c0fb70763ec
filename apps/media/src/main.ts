import { mkdir } from "node:fs/promises";
import {
  AppMetrics,
  type AppStartOptions,
  createLogger,
  internalClient,
  type RunningApp,
  runStandalone,
} from "@hearth/server-kit";
import { createApp } from "./app.ts";
import { ConnectionLimits } from "./connection-limits.ts";
import { parseEnv } from "./env.ts";
import { type KeyVerifier, managerKeyVerifier } from "./key-verifier.ts";
import { LlhlsRegistry } from "./llhls/llhls-stream.ts";
import { registerLimitMetrics } from "./metrics.ts";
import { nodeHeartbeat } from "./node-heartbeat.ts";
import { LiveRecordings } from "./recording/live-recordings.ts";
import { RecordingStats, registerRecordingMetrics } from "./recording/recording-metrics.ts";
import { managerRecordingReporter, type RecordingReporter } from "./recording/recording-reporter.ts";
import { ffmpegThumbnailMaker } from "./recording/recording-thumbnail.ts";
import { finaliseUnfinished } from "./recording/recovery.ts";
import { FsRecordingStorage } from "./recording/storage.ts";
import { removeLeftovers } from "./retention.ts";
import { startRtmpIngest } from "./rtmp-ingest.ts";
import { rtmpPublishHandler } from "./rtmp-publish.ts";
import { managerRefusalReporter, managerStateReporter, type StateReporter } from "./state-reporter.ts";
import { StreamRegistry } from "./stream-registry.ts";
import { createWhipIngest, managerStreamExists } from "./whip/index.ts";

/** Extra knobs for tests and benchmarks: replace how keys are checked and where transitions go. */
export interface MediaStartOptions extends AppStartOptions {
  verifier?: KeyVerifier;
  reporter?: StateReporter;
  recordingReporter?: RecordingReporter;
}

/** The running media node, with its real ports (env may ask for port 0). */
export interface RunningMedia extends RunningApp {
  httpPort: number;
  rtmpPort: number;
  registry: StreamRegistry;
}

/** Starts the media node: RTMP ingest, the transcoding pipeline and the HTTP origin. */
export async function start(o: MediaStartOptions): Promise<RunningMedia> {
  const env = parseEnv(o.env);
  const logger = o.logger;
  await mkdir(env.HLS_DIR, { recursive: true });
  // Whatever is left from a previous run belongs to sessions that ended when that process died.
  await removeLeftovers(env.HLS_DIR);

  const manager = internalClient({
    service: "manager",
    baseUrl: env.MANAGER_INTERNAL_URL,
    token: env.INTERNAL_TOKEN,
  });
  // Every live (and recently ended) stream's packagers, shared by the pipeline and the routes.
  const llhls = new LlhlsRegistry();
  // Recordings: stored under DATA_DIR (never HLS_DIR, whose leftovers go at start).
  const recordingStorage = new FsRecordingStorage(env.DATA_DIR);
  const liveRecordings = new LiveRecordings();
  const recordingStats = new RecordingStats();
  const recordingReporter = o.recordingReporter ?? managerRecordingReporter(manager, logger);
  const recordingThumbnail = ffmpegThumbnailMaker(env.FFMPEG_PATH, logger);
  // Sessions the previous process did not end: their recordings become VODs of what was written. The reports
  // retry in the background (the manager may come up after this node).
  await finaliseUnfinished({
    storage: recordingStorage,
    reporter: recordingReporter,
    logger,
    thumbnail: recordingThumbnail,
  });
  // The streamer's recording setting, as the manager's last key check for each stream said.
  const recordingWanted = new Map<string, boolean>();
  const registry = new StreamRegistry({
    llhls,
    partSeconds: env.HLS_PART_SECONDS,
    hlsDir: env.HLS_DIR,
    ladder: env.HLS_LADDER,
    segmentSeconds: env.SEGMENT_SECONDS,
    listSize: env.HLS_LIST_SIZE,
    preset: env.X264_PRESET,
    ffmpegPath: env.FFMPEG_PATH,
    logger,
    reporter: o.reporter ?? managerStateReporter(manager, logger),
    nodeId: env.MEDIA_NODE_ID ?? "default",
    retentionSeconds: env.HLS_RETENTION_SECONDS,
    feedLimits: { maxBytes: env.MEDIA_FEED_MAX_MIB * 1024 * 1024, maxMs: env.MEDIA_FEED_MAX_SECONDS * 1000 },
    degrade: env.MEDIA_DEGRADE,
    admission: {
      budget: env.MEDIA_TRANSCODE_BUDGET,
      maxStreams: env.MEDIA_MAX_STREAMS,
      preset: env.X264_PRESET,
    },
    reconnectGraceSeconds: env.RECONNECT_GRACE_SECONDS,
    ...(env.RECORDING
      ? {
          recording: {
            storage: recordingStorage,
            reporter: recordingReporter,
            live: liveRecordings,
            rungs: env.RECORDING_RUNGS,
            onWriteError: () => {
              recordingStats.writeErrors += 1;
            },
            thumbnail: recordingThumbnail,
          },
          recordingWanted: (publicId: string) => recordingWanted.get(publicId) ?? true,
        }
      : {}),
  });
  const verifier =
    o.verifier ??
    managerKeyVerifier(manager, env.MEDIA_NODE_ID, (publicId, recording) =>
      recordingWanted.set(publicId, recording),
    );
  const limits = new ConnectionLimits(
    {
      rtmpPerIp: env.RTMP_MAX_CONNECTIONS_PER_IP,
      rtmpHandshakes: env.RTMP_MAX_HANDSHAKES,
      rtmpPublishTimeoutMs: env.RTMP_PUBLISH_TIMEOUT_SECONDS * 1000,
      whipSetupsPerIp: env.WHIP_MAX_SETUPS_PER_IP,
      whipSetups: env.WHIP_MAX_SETUPS,
    },
    logger.child({ part: "limits" }),
  );
  const metrics = new AppMetrics("media");
  registerLimitMetrics(metrics, () => limits.snapshot());
  registerRecordingMetrics(metrics, recordingStats, liveRecordings);
  const rtmp = await startRtmpIngest({
    port: env.RTMP_PORT,
    host: env.BIND_HOST,
    limits,
    logger,
    onPublish: rtmpPublishHandler({
      verifier,
      pipeline: registry,
      logger,
      onRefused: managerRefusalReporter(manager, env.MEDIA_NODE_ID ?? "default", logger),
    }),
  });
  // WHIP hands its RTP to the same pipeline as RTMP (an IngestFeed): one transcoder, one key check.
  const whip = createWhipIngest({
    verifyKey: (key) => verifier.verify(key),
    streamExists: managerStreamExists(manager),
    isLive: (publicId) => registry.isLive(publicId),
    pipeline: registry,
    limits,
    trustedProxies: env.TRUSTED_PROXIES,
    refusal: (publicId) => registry.refusal(publicId),
    logger: logger.child({ part: "whip" }),
    keyframeIntervalMs: env.SEGMENT_SECONDS * 1000,
  });
  const app = createApp({
    registry: {
      status: (publicId) => registry.status(publicId),
      metrics: () => registry.metrics(),
      // The manager deleted the stream: end a WHIP session (if any), then the pipeline's session.
      async remove(publicId) {
        await whip.kick(publicId);
        await registry.remove(publicId);
      },
    },
    whip: whip.routes,
    metrics,
    llhls,
    recordings: { storage: recordingStorage, live: liveRecordings, thumbnail: recordingThumbnail },
    hlsDir: env.HLS_DIR,
    internalToken: env.INTERNAL_TOKEN,
    logger,
    publicRtmpBase: env.PUBLIC_RTMP_BASE,
    publicHlsBase: env.PUBLIC_HLS_BASE,
    publicWhipBase: env.PUBLIC_WHIP_BASE,
  });
  const server = Bun.serve({ port: env.MEDIA_HTTP_PORT, hostname: env.BIND_HOST, fetch: app.fetch });
  const httpPort = server.port ?? env.MEDIA_HTTP_PORT;
  const heartbeat = env.MEDIA_NODE_ID
    ? nodeHeartbeat({
        client: manager,
        logger,
        intervalMs: 2000,
        node: {
          id: env.MEDIA_NODE_ID,
          rtmpServer: env.PUBLIC_RTMP_BASE,
          whipBase: env.PUBLIC_WHIP_BASE,
          hlsBase: env.PUBLIC_HLS_BASE,
          internalUrl: env.MEDIA_NODE_INTERNAL_URL ?? `http://127.0.0.1:${httpPort}`,
          capacity: env.MEDIA_CAPACITY,
        },
        streams: () => registry.heartbeatStreams(),
        budget: () => registry.budget(),
      })
    : null;
  heartbeat?.start();

  let stopped = false;
  return {
    name: "media",
    urls: { HLS: `http://localhost:${httpPort}/hls`, RTMP: `rtmp://localhost:${rtmp.port}/live` },
    httpPort,
    rtmpPort: rtmp.port,
    registry,
    async stop() {
      if (stopped) return;
      stopped = true;
      heartbeat?.stop();
      await whip.stop();
      await rtmp.stop();
      await registry.stopAll();
      await server.stop(true);
    },
  };
}

if (import.meta.main)
  // An unexpected rejection is logged and the node keeps serving: a restart would end every live stream on it.
  await runStandalone(
    start,
    {
      env: process.env,
      // The internal token is redacted from every line, whatever shape it has.
      logger: createLogger({ svc: "media" }, { secrets: [process.env.INTERNAL_TOKEN ?? ""] }),
    },
    { uncaughtException: "exit", unhandledRejection: "log" },
  );
