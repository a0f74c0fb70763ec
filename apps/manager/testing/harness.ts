import { randomBytes } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import { AppMetrics, createLogger, type Logger } from "@hearth/server-kit";
import { adminRoutes } from "../src/admin-routes.ts";
import { createApp, type ManagerDeps } from "../src/app.ts";
import { clipStore } from "../src/clip-store.ts";
import { creationGuard, managerSafety, type SafetyOptions } from "../src/creation-policy.ts";
import { liveStateStore } from "../src/live-state.ts";
import { mediaNodeStore } from "../src/media-nodes.ts";
import { tokenBuckets } from "../src/rate-limit.ts";
import type { RecordingFiles } from "../src/recording-files.ts";
import type { ChatService, MediaService } from "../src/services.ts";
import { streamStore } from "../src/stream-store.ts";
import { videoStore } from "../src/video-store.ts";

/** Postgres for tests: the machine's real server unless TEST_DATABASE_URL says otherwise. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const INTERNAL = "internal-token-for-tests-0123456789";
export const ADMIN = "admin-token-for-tests-0123456789";

/** A fresh database of the given kind: a new schema on real Postgres, or an in-memory PGlite. */
export async function freshDatabase(kind: "postgres" | "pglite"): Promise<DatabaseHandle> {
  const handle =
    kind === "postgres"
      ? await openDatabase({ url: TEST_DATABASE_URL, schema: `t_${randomBytes(6).toString("hex")}`, max: 4 })
      : await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  return handle;
}

/**
 * Stand-ins for the media and chat services, which run in their own processes: they record what the
 * manager asked and can be told to be unreachable. The real ones are exercised in tests/e2e.
 */
export function serviceDoubles() {
  const calls: string[] = [];
  const state: {
    mediaDown: boolean;
    chatDown: boolean;
    mediaNotReady: boolean;
    /** Where deleted messages really go (a chat stand-in over HTTP), when a test gives one. */
    deleteMessages?: ChatService["deleteMessages"];
  } = { mediaDown: false, chatDown: false, mediaNotReady: false };
  const media: MediaService = {
    async create(publicId) {
      calls.push(`media.create ${publicId}`);
      if (state.mediaDown) throw new Error("media unreachable");
      return {
        node: null,
        rtmpServer: "rtmp://localhost:1935/live",
        whipUrl: `http://localhost:8083/whip/${publicId}`,
        hlsUrl: `http://localhost:8083/hls/${publicId}/master.m3u8`,
      };
    },
    async remove(publicId) {
      calls.push(`media.remove ${publicId}`);
    },
    async ready() {
      if (state.mediaDown || state.mediaNotReady) throw new Error("media unreachable");
      return "the media double answers";
    },
  };
  const chat: ChatService = {
    async create(publicId) {
      calls.push(`chat.create ${publicId}`);
      if (state.chatDown) throw new Error("chat unreachable");
      return { chatUrl: `ws://localhost:8082/rooms/${publicId}` };
    },
    async remove(publicId) {
      calls.push(`chat.remove ${publicId}`);
    },
    async counts() {
      return { rooms: {} };
    },
    async deleteMessages(publicId, fromMs, toMs) {
      calls.push(`chat.deleteMessages ${publicId} ${fromMs} ${toMs}`);
      if (state.chatDown) throw new Error("chat unreachable");
      await state.deleteMessages?.(publicId, fromMs, toMs);
    },
    async ready() {
      if (state.chatDown) throw new Error("chat unreachable");
      return "the chat double answers";
    },
  };
  return { media, chat, calls, state };
}

/** The settings tests start from: creation open, limits far away, no trusted proxy; override per test. */
export function testSafety(overrides: Partial<SafetyOptions> = {}): SafetyOptions {
  return {
    policy: "open",
    adminToken: ADMIN,
    ratePerHour: 1_000_000,
    burst: 1_000_000,
    maxOpenPerClient: 1_000_000,
    maxOpen: 1_000_000,
    trustedProxies: "",
    nodeTimeoutMs: 6000,
    viewers: { get: () => 3 },
    clock: Date.now,
    ...overrides,
  };
}

/** A clock tests move by hand (ms since 1970). */
export function manualClock(start = Date.now()) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

export interface ManagerOptions {
  directoryCacheMs?: number;
  nodeTimeoutMs?: number;
  now?: () => number;
  /** The creation policy, abuse limits and admin token (testSafety's defaults: open, limits far away). */
  safety?: Partial<SafetyOptions>;
  /** Where the app logs; silent when absent. */
  logger?: Logger;
  /** The media nodes' recording files (tests start a small media stand-in on a loopback port). */
  files?: RecordingFiles;
  /** Replaces any dependency (e.g. the real placed media service over the same registry). */
  override?: Partial<ManagerDeps>;
}

/**
 * A manager app over a real database with service doubles, its creation guard and admin API wired as main.ts
 * wires them; the stores and the safety state are returned for direct checks.
 */
export function managerFor(handle: DatabaseHandle, options: ManagerOptions | number = {}) {
  const o: ManagerOptions = typeof options === "number" ? { directoryCacheMs: options } : options;
  const services = serviceDoubles();
  const timeoutMs = o.nodeTimeoutMs ?? 6000;
  const clock = o.now ? { now: o.now } : {};
  const store = streamStore(handle.db);
  const nodes = mediaNodeStore(handle.db, { timeoutMs, ...clock });
  const liveState = liveStateStore(handle.db, { timeoutMs, ...clock });
  const logger = o.logger ?? createLogger({}, { silent: true });
  const metrics = o.override?.metrics ?? new AppMetrics("manager");
  const safety = managerSafety(
    handle.db,
    testSafety({ nodeTimeoutMs: timeoutMs, ...(o.now ? { clock: o.now } : {}), ...o.safety }),
  );
  const media = o.override?.media ?? services.media;
  const chat = o.override?.chat ?? services.chat;
  const now = o.now ?? Date.now;
  const videos = videoStore(handle.db, now);
  const clips = clipStore(handle.db);
  const files: RecordingFiles = o.files ?? {
    cutClip: async () => {
      throw new Error("no media node for recordings in this test");
    },
    deleteRecording: async () => {
      throw new Error("no media node for recordings in this test");
    },
    deleteClip: async () => {
      throw new Error("no media node for recordings in this test");
    },
  };
  const app = createApp({
    store,
    nodes,
    liveState,
    media,
    chat,
    viewers: { get: () => 3 },
    videos,
    clips,
    files,
    owners: safety,
    clipBuckets: tokenBuckets({ burst: 1_000_000, perHour: 1_000_000, clock: now }),
    clock: now,
    logger,
    internalToken: INTERNAL,
    publicWebUrl: "http://localhost:8080",
    directoryCacheMs: o.directoryCacheMs ?? 0,
    metrics,
    guardCreation: creationGuard(safety, logger, metrics),
    admin: adminRoutes({ safety, store, media, chat, logger }),
    ...o.override,
  });
  return { app, store, nodes, liveState, safety, videos, clips, ...services };
}
