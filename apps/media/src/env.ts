import { availableParallelism } from "node:os";
import { LadderConfig } from "@hearth/contracts";
import { z } from "zod";
import { defaultBudget } from "./admission.ts";

const Port = z.coerce.number().int().min(0).max(65535);

/**
 * The default ladder, Twitch-style: under the source rung 720p 2500 kb/s (only for sources taller than 800
 * lines: a 720p source is itself the 720p rung), 480p 1000 kb/s, 360p 600 kb/s and 160p at about 230 kb/s
 * (the rung a phone on a weak network can hold).
 */
export const DEFAULT_LADDER: LadderConfig = {
  sourceKbps: 6000,
  sourceMaxHeight: 1080,
  rungs: [
    { name: "720p", height: 720, videoKbps: 2500, audioKbps: 128 },
    { name: "480p", height: 480, videoKbps: 1000, audioKbps: 128 },
    { name: "360p", height: 360, videoKbps: 600, audioKbps: 96 },
    { name: "160p", height: 160, videoKbps: 182, audioKbps: 48 },
  ],
};

const LadderJson = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "HLS_LADDER is not valid JSON" });
      return z.NEVER;
    }
  })
  .pipe(LadderConfig);

/** The media node's configuration; the only place it reads the environment. */
export const MediaEnv = z
  .object({
    MEDIA_HTTP_PORT: Port.default(8083),
    RTMP_PORT: Port.default(1935),
    BIND_HOST: z.string().default("0.0.0.0"),
    DATA_DIR: z.string().default("./data"),
    /**
     * Where each stream's preview (`<publicId>/thumb.jpg`) is written; defaults to DATA_DIR/hls. Playlists,
     * parts and segments are held in memory by Hearth's packager, never written here.
     */
    HLS_DIR: z.string().optional(),
    INTERNAL_TOKEN: z.string().min(16, "INTERNAL_TOKEN must be at least 16 characters"),
    MANAGER_INTERNAL_URL: z.string().url().default("http://127.0.0.1:8081"),
    /** What streamers type into OBS as the server. */
    PUBLIC_RTMP_BASE: z.string().default("rtmp://localhost:1935/live"),
    PUBLIC_HLS_BASE: z.string().url().default("http://localhost:8083/hls"),
    PUBLIC_WHIP_BASE: z.string().url().default("http://localhost:8083/whip"),
    /** The ABR ladder as JSON (see LadderConfig in @hearth/contracts); the default ladder when unset. */
    HLS_LADDER: LadderJson.optional(),
    /** Segment length = keyframe interval, in seconds (EXT-X-TARGETDURATION). */
    SEGMENT_SECONDS: z.coerce.number().int().min(1).max(10).default(1),
    /** LL-HLS part length, seconds (rounded to whole frames). */
    HLS_PART_SECONDS: z.coerce.number().min(0.1).max(1).default(0.2),
    /**
     * How many complete segments a variant playlist lists (and the packager keeps in memory). At least 4:
     * a live playlist must keep three target durations after a segment is removed (RFC 8216 6.2.2).
     */
    HLS_LIST_SIZE: z.coerce.number().int().min(4).max(60).default(12),
    /** x264 preset for the scaled rungs (see bench/transcode for the CPU cost of each). */
    X264_PRESET: z
      .enum(["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"])
      .default("veryfast"),
    /**
     * How long a publisher that dropped without unpublishing (socket lost, ICE/DTLS failure, no media) may take
     * to come back with the same key: the stream stays listed as reconnecting and its playlists stay open.
     */
    RECONNECT_GRACE_SECONDS: z.coerce.number().min(0).max(600).default(10),
    /** How long an ended stream's playlists, segments (memory) and thumb.jpg (disk) stay served before removal. */
    HLS_RETENTION_SECONDS: z.coerce.number().int().min(0).default(60),
    /**
     * Scale-out: a node id makes this node register with the manager (heartbeat every 2 s) and name
     * itself in key checks, so a reconnecting streamer's stream follows it here.
     */
    MEDIA_NODE_ID: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/)
      .optional(),
    /** How the manager reaches this node (heart-beaten); defaults to http://127.0.0.1:MEDIA_HTTP_PORT. */
    MEDIA_NODE_INTERNAL_URL: z.string().url().optional(),
    /** How many live streams this node should be given (the manager places by load/capacity). */
    MEDIA_CAPACITY: z.coerce.number().int().positive().default(8),
    /**
     * Bound on the publisher's input waiting for ffmpeg's stdin, per stream (MiB and seconds of media; whichever
     * is hit first). Past it the backlog is dropped up to the next keyframe (counted in /metrics), so a slow
     * ffmpeg or a publisher sending faster than real time cannot grow the node's memory.
     */
    MEDIA_FEED_MAX_MIB: z.coerce.number().min(0.25).max(256).default(8),
    MEDIA_FEED_MAX_SECONDS: z.coerce.number().min(0.5).max(60).default(4),
    /**
     * Transcode budget in veryfast-equivalent encoded megapixels per second (see admission.ts). Default: 85 %
     * of 50 Mpx/s per core (85 on 2 cores: three 720p30 full ladders, 27.5 each). 0: source copies only.
     */
    MEDIA_TRANSCODE_BUDGET: z.coerce.number().min(0).optional(),
    /**
     * Make a stream whose transcoder falls behind real time cheaper (cheapest preset, fewer rungs, source only).
     * On in production; suites that test the ladder's shape on a shared, overloaded machine turn it off.
     */
    MEDIA_DEGRADE: z
      .enum(["true", "false"])
      .default("true")
      .transform((v) => v === "true"),
    /** Hard limit of live streams on this node; publishes beyond it are refused (RTMP dropped, WHIP 503). */
    MEDIA_MAX_STREAMS: z.coerce.number().int().positive().default(16),
    /** RTMP connections one address may hold open (an OBS publisher needs one per stream). */
    RTMP_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().positive().default(10),
    /** RTMP connections node-wide that are connected but not yet publishing (handshakes in progress). */
    RTMP_MAX_HANDSHAKES: z.coerce.number().int().positive().default(100),
    /** A connection that has not published after this long is closed (OBS publishes within a second). */
    RTMP_PUBLISH_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
    /** WHIP offers one address may have in setup at once (answered in ~0.1-2 s each). */
    WHIP_MAX_SETUPS_PER_IP: z.coerce.number().int().positive().default(3),
    /** WHIP offers in setup node-wide; over it: 503 with Retry-After. */
    WHIP_MAX_SETUPS: z.coerce.number().int().positive().default(20),
    /**
     * Addresses of proxies (the nginx edge) whose X-Forwarded-For is believed for WHIP's per-IP limit;
     * comma-separated. Anyone else's header is ignored.
     */
    TRUSTED_PROXIES: z
      .string()
      .default("")
      .transform((s) =>
        s
          .split(",")
          .map((a) => a.trim())
          .filter(Boolean),
      ),
    /**
     * Record every live session (DATA_DIR/recordings; see src/recording/storage.ts). A streamer may turn it off for
     * their stream; `false` here turns it off for the whole node.
     */
    RECORDING: z
      .enum(["true", "false"])
      .default("true")
      .transform((v) => v === "true"),
    /** Which rungs are recorded: `all` (every rung, so a VOD has the live quality menu) or `source` only. */
    RECORDING_RUNGS: z.enum(["all", "source"]).default("all"),
    FFMPEG_PATH: z.string().default("ffmpeg"),
  })
  .transform((e) => ({
    ...e,
    HLS_DIR: e.HLS_DIR ?? `${e.DATA_DIR}/hls`,
    HLS_LADDER: e.HLS_LADDER ?? DEFAULT_LADDER,
    MEDIA_TRANSCODE_BUDGET: e.MEDIA_TRANSCODE_BUDGET ?? defaultBudget(availableParallelism()),
  }));
export type MediaEnv = z.infer<typeof MediaEnv>;

/** Parses and validates the media node's environment (throws with every problem listed). */
export function parseEnv(source: Record<string, string | undefined>): MediaEnv {
  return MediaEnv.parse(source);
}
