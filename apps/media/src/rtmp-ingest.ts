import { createRequire } from "node:module";
import net from "node:net";
import type { Logger } from "@hearth/server-kit";
import type { SourceInfo } from "./ladder.ts";

/**
 * The RTMP listener: node-media-server 4's RTMP protocol and session code on a socket server we own.
 * We construct only its RTMP sessions (never `new NodeMediaServer()`), so its HTTP server, web admin,
 * JWT API (which lists stream keys), JSON store, recorder and relay never exist in this process.
 */

// node-media-server ships CommonJS without types; these are the parts of its objects we touch.
interface NmsBroadcast {
  publisher: NmsSession | null;
  publishGraceMs: number;
  flvVideoHeader: Buffer | null;
  flvAudioHeader: Buffer | null;
  postPlay(session: NmsSubscriber): string | null;
  donePlay(session: NmsSubscriber): void;
}
interface NmsSession {
  id: string;
  ip: string;
  streamApp: string;
  streamName: string;
  socket: net.Socket;
  broadcast: NmsBroadcast;
  inBytes: number;
  videoCodec: number;
  videoWidth: number;
  videoHeight: number;
  videoFramerate: number;
  audioCodec: number;
  rtmp: NmsRtmpProtocol;
  run(): void;
}
/** The session's protocol parser: its command handler is where an unpublish shows. */
interface NmsRtmpProtocol {
  parserPacket: { header: { type: number; length: number }; payload: Buffer };
  invokeHandler(): void;
}
interface NmsSubscriber {
  id: string;
  ip: string;
  protocol: string;
  sendBuffer: (b: Buffer) => void;
}
interface NmsModules {
  Context: { sessions: Map<string, unknown>; eventEmitter: NodeJS.EventEmitter; config: object };
  RtmpSession: new (socket: net.Socket) => NmsSession;
  BaseSession: new () => NmsSubscriber;
  parseH264Sps(sps: Buffer): { width: number; height: number } | null;
}

function loadNms(): NmsModules {
  const req = createRequire(import.meta.url);
  const logger = req("node-media-server/src/core/logger.js") as { log: (...a: unknown[]) => void };
  // Its log lines carry the stream path, i.e. the stream key: drop them; we log our own events.
  logger.log = () => {};
  const Context = req("node-media-server/src/core/context.js") as NmsModules["Context"];
  // No auth section: signed-URL auth stays off (the manager checks keys); no rtmp.port: we listen.
  Context.config = {};
  return {
    Context,
    RtmpSession: req("node-media-server/src/session/rtmp_session.js"),
    BaseSession: req("node-media-server/src/session/base_session.js"),
    parseH264Sps: (req("node-media-server/src/protocol/sps_info.js") as Pick<NmsModules, "parseH264Sps">)
      .parseH264Sps,
  };
}

/** A stream key as the manager issues it; anything else is refused before asking the manager. */
const KEY_SHAPE = /^[A-Za-z0-9_-]{8,200}$/;
const FLV_TAG_HEADER = 11;
const IDLE_TIMEOUT_MS = 5000;

/** One accepted-so-far RTMP publish, handed to the pipeline to verify and consume. */
export interface RtmpPublisher {
  /** The stream key (private id): never log it. */
  readonly key: string;
  readonly remote: string;
  /** Resolves when the publisher's socket closes (we do not wait for node-media-server's 30 s grace). */
  readonly closed: Promise<void>;
  /** Whether the publisher said it stops (FCUnpublish or deleteStream, as OBS's "Stop Streaming") before closing. */
  unpublished(): boolean;
  isClosed(): boolean;
  /** Bytes received so far (for the ingest bitrate). */
  inBytes(): number;
  /** Waits for the sequence headers and metadata; null when none arrived in time. */
  sourceInfo(timeoutMs: number): Promise<SourceInfo | null>;
  /** Receives the stream as FLV (header, metadata, sequence headers, GOP cache, then live tags). */
  subscribe(write: (chunk: Buffer) => void): () => void;
  /** Drops the connection. */
  close(): void;
}

export interface RtmpIngestOptions {
  port: number;
  host: string;
  logger: Logger;
  /** Called for every publish on `/live/<key>`; the handler verifies and either consumes or closes it. */
  onPublish(publisher: RtmpPublisher): void;
}

export interface RtmpIngest {
  port: number;
  stop(): Promise<void>;
}

const CODEC_NAMES: Record<number, string> = { 7: "h264", 12: "hevc" };

/** AMF0 command messages (type 20, or 17 with a leading format byte) whose name is an unpublish. */
const UNPUBLISH_COMMANDS = ["FCUnpublish", "deleteStream"].map((name) => {
  // AMF0 string marker 0x02, 16-bit length, the name: how every command message begins.
  const b = Buffer.alloc(3 + name.length);
  b[0] = 0x02;
  b.writeUInt16BE(name.length, 1);
  b.write(name, 3, "latin1");
  return b;
});
const RTMP_TYPE_FLEX_MESSAGE = 17;

/**
 * Marks `s` unpublished when the publisher sends FCUnpublish or deleteStream. node-media-server ignores both
 * (its handler for deleteStream is empty, FCUnpublish is "unhandled"), so its command handler is wrapped.
 */
function watchUnpublish(s: NmsSession, mark: () => void): void {
  const rtmp = s.rtmp;
  const original = rtmp.invokeHandler.bind(rtmp);
  rtmp.invokeHandler = () => {
    const { header, payload } = rtmp.parserPacket;
    const offset = header.type === RTMP_TYPE_FLEX_MESSAGE ? 1 : 0;
    const head = payload.subarray(offset, Math.min(header.length, offset + 16));
    if (UNPUBLISH_COMMANDS.some((c) => head.subarray(0, c.length).equals(c))) mark();
    original();
  };
}

function publisherFor(nms: NmsModules, s: NmsSession, unpublished: () => boolean): RtmpPublisher {
  let closed = false;
  const closedP = new Promise<void>((resolve) => {
    s.socket.once("close", () => {
      closed = true;
      resolve();
    });
  });
  const avcRecord = (): Buffer | null => {
    const h = s.broadcast.flvVideoHeader;
    // FLV tag body: frame/codec byte, AVCPacketType 0 (sequence header), 3-byte cts, then avcC.
    if (!h || h.length < FLV_TAG_HEADER + 13 || ((h[FLV_TAG_HEADER] ?? 0) & 0x0f) !== 7) return null;
    return h.subarray(FLV_TAG_HEADER + 5);
  };
  return {
    key: s.streamName,
    remote: s.ip,
    closed: closedP,
    unpublished,
    isClosed: () => closed,
    inBytes: () => s.inBytes,
    async sourceInfo(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!closed && Date.now() < deadline && !s.broadcast.flvVideoHeader) await Bun.sleep(25);
      if (!s.broadcast.flvVideoHeader) return null;
      // Audio's sequence header comes right beside the video's when the publisher has audio.
      const audioDeadline = Math.min(deadline, Date.now() + 300);
      while (!closed && Date.now() < audioDeadline && !s.broadcast.flvAudioHeader) await Bun.sleep(25);
      let { videoWidth: width, videoHeight: height } = s;
      const rec = avcRecord();
      if ((!width || !height) && rec && rec.length > 8) {
        const spsLen = rec.readUInt16BE(6);
        const dims = nms.parseH264Sps(rec.subarray(8, 8 + spsLen));
        width = dims?.width ?? 0;
        height = dims?.height ?? 0;
      }
      if (!width || !height) return null;
      const videoCodec = CODEC_NAMES[s.videoCodec] ?? (rec ? "h264" : "unknown");
      const audioCodec = s.broadcast.flvAudioHeader
        ? s.audioCodec === 10 || !s.audioCodec
          ? "aac"
          : "other"
        : null;
      return { videoCodec, width, height, fps: s.videoFramerate || 30, audioCodec };
    },
    subscribe(write) {
      const sub = new nms.BaseSession();
      sub.protocol = "flv";
      sub.sendBuffer = write;
      // An empty ip marks an internal subscriber: no play events, no auth, not counted as a viewer.
      sub.ip = "";
      s.broadcast.postPlay(sub);
      return () => s.broadcast.donePlay(sub);
    },
    close() {
      s.socket.destroy();
    },
  };
}

/** Starts the RTMP listener; `onPublish` decides about every publish. */
export async function startRtmpIngest(o: RtmpIngestOptions): Promise<RtmpIngest> {
  const nms = loadNms();
  const mine = new WeakSet<object>();
  const unpublished = new WeakSet<object>();
  const server = net.createServer((socket) => {
    // A publisher that vanishes without closing (network loss) would otherwise stay "live" forever:
    // a live RTMP publish never goes quiet for this long.
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    const session = new nms.RtmpSession(socket);
    mine.add(session);
    watchUnpublish(session, () => unpublished.add(session));
    session.run();
    nms.Context.sessions.set(session.id, session);
    socket.on("close", () => nms.Context.sessions.delete(session.id));
  });
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  const onPrePublish = (s: NmsSession) => {
    if (!mine.has(s)) return; // another RTMP server in this process (tests)
    // We detect the end ourselves; without this node-media-server holds the path for 30 s after a drop.
    s.broadcast.publishGraceMs = 0;
    if (s.streamApp !== "live" || !KEY_SHAPE.test(s.streamName)) {
      o.logger.warn("rtmp publish refused: malformed path", { remote: s.ip });
      s.socket.destroy();
      return;
    }
    const existing = s.broadcast.publisher;
    if (existing && existing !== s && !existing.socket.destroyed) {
      o.logger.warn("rtmp publish refused: the stream already has a publisher", { remote: s.ip });
      s.socket.destroy();
      return;
    }
    o.onPublish(publisherFor(nms, s, () => unpublished.has(s)));
  };
  // RTMP is ingest only: viewers get HLS. Refusing play also keeps the key path from being a player URL.
  const onPrePlay = (s: NmsSession) => {
    if (!mine.has(s)) return;
    o.logger.warn("rtmp play refused", { remote: s.ip });
    s.socket.destroy();
  };
  nms.Context.eventEmitter.on("prePublish", onPrePublish);
  nms.Context.eventEmitter.on("prePlay", onPrePlay);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  return {
    port,
    async stop() {
      nms.Context.eventEmitter.off("prePublish", onPrePublish);
      nms.Context.eventEmitter.off("prePlay", onPrePlay);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
