import { PublicId } from "@hearth/contracts";
import {
  bearerToken,
  errorHandler,
  HttpError,
  type Logger,
  notFoundHandler,
  safeEqual,
} from "@hearth/server-kit";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { ConnectionLimits } from "../connection-limits.ts";
import type { Pipeline } from "../stream-registry.ts";
import { clientAddress } from "./client-address.ts";
import { chooseCodecs, type OfferChoice, OfferError } from "./offer.ts";
import { type SessionOptions, WhipSession } from "./session.ts";

/** What the WHIP module needs from the media node; main.ts wires the real ones. */
export interface WhipDeps {
  /**
   * The public id whose private id `key` is, or null when the key is unknown or its stream ended;
   * throws when it cannot tell. Same shape as the media node's KeyVerifier.verify (manager's
   * POST /internal/keys/verify).
   */
  verifyKey(key: string): Promise<string | null>;
  /** Whether a stream with this public id exists (manager's GET /stream/:publicId); only asked after a key is refused. */
  streamExists(publicId: string): Promise<boolean>;
  /** Whether the stream is already live (e.g. an RTMP publisher): a WHIP publish is then a 409. */
  isLive(publicId: string): boolean;
  /** Where sessions hand their media (the node's StreamRegistry): the same path as RTMP. */
  pipeline: Pick<Pipeline, "publishStarted" | "publishStopped">;
  /** Caps offers in setup per address and node-wide; unlimited when absent. */
  limits?: Pick<ConnectionLimits, "admitWhipSetup">;
  /** Proxies whose X-Forwarded-For names the client (for the per-address cap). */
  trustedProxies?: string[];
  /**
   * Why this node refuses a publish of `publicId` now (its stream limit), or null: StreamRegistry.refusal,
   * which lets a publisher back within the reconnect grace through on a full node.
   */
  refusal?(publicId: string): { reason: string; retryAfterSeconds: number } | null;
  logger: Logger;
  /** Where the routes are mounted (Location is built from it); default "/whip". */
  basePath?: string;
  /** Host addresses added to ICE gathering beyond the machine's interfaces; default ["127.0.0.1"]. */
  iceHosts?: string[];
  icePortRange?: [number, number];
  /** Default 10 000: a session with no RTP this long after its answer ends (a drop). */
  mediaTimeoutMs?: number;
  /**
   * Default 3000: a session whose media flowed and then stopped this long is a drop (the stream goes
   * `reconnecting`). How quickly a publisher that vanished without a word is noticed.
   */
  idleTimeoutMs?: number;
  /** Default 1500: how long a peer that closed its connection has to send its DELETE (a clean stop) before the close is a drop. */
  closeWaitMs?: number;
  /**
   * Default 1000: how often a keyframe is requested (PLI). The source rung is copied, so this is its
   * segment length: wire it to the node's SEGMENT_SECONDS * 1000 so all rungs cut alike.
   */
  keyframeIntervalMs?: number;
  tmpDir?: string;
}

/** The WHIP ingest: its routes plus what the node's lifecycle needs. */
export interface WhipIngest {
  /** Relative routes (POST /:publicId, DELETE /:publicId/:sessionId): mount with `app.route("/whip", routes)`. */
  routes: Hono;
  /** Whether a WHIP session currently publishes this stream. */
  publishing(publicId: string): boolean;
  /** Ends the stream's WHIP session (call it when the stream is deleted); false when there was none. */
  kick(publicId: string): Promise<boolean>;
  /** Sessions by public id (benchmarks read their counters). */
  sessions(): ReadonlyMap<string, WhipSession>;
  /** Ends every session: call from main.ts's stop(). */
  stop(): Promise<void>;
}

const MAX_OFFER_BYTES = 64 * 1024;

/** CORS for browser WHIP clients on other origins (RFC 9725 §4.1): the Location must be readable. */
const whipCors: MiddlewareHandler = async function whipCors(c, next) {
  c.header("Access-Control-Allow-Origin", "*");
  c.header("Access-Control-Expose-Headers", "Location, Accept-Post, Link, ETag");
  if (c.req.method === "OPTIONS") {
    c.header("Access-Control-Allow-Methods", "POST, DELETE, PATCH, OPTIONS");
    c.header("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    c.header("Access-Control-Max-Age", "86400");
    c.header("Accept-Post", "application/sdp");
    return c.body(null, 204);
  }
  await next();
};

function requireKey(header: string | undefined): string {
  const key = bearerToken(header);
  if (!key) {
    throw new HttpError(401, "unauthorized", "send the stream key as Authorization: Bearer <key>", {
      "WWW-Authenticate": 'Bearer realm="whip"',
    });
  }
  return key;
}

/** The answer to an offer whose session ended before it was answered, by why it ended. */
function endedWhileAnswering(reason: string): HttpError {
  if (reason === "stream deleted") return new HttpError(404, "not_found", "no such stream");
  if (reason === "shutdown")
    return new HttpError(503, "unavailable", "this media node is shutting down; try again");
  return new HttpError(
    400,
    "bad_sdp",
    `the session ended while this SDP offer was answered (${reason}): check its ICE candidates and DTLS lines`,
  );
}

/** Builds the WHIP ingest (RFC 9725): POST /:publicId publishes, DELETE /:publicId/:sessionId ends. */
export function createWhipIngest(deps: WhipDeps): WhipIngest {
  const basePath = deps.basePath ?? "/whip";
  /**
   * publicId → the session that holds the stream, from before its offer is answered until it ends: the
   * session's onEnd is the one place that frees it, whatever ends it (DELETE, a kick, ICE failing mid-answer).
   */
  const byStream = new Map<string, WhipSession>();
  const byId = new Map<string, { publicId: string; key: string; session: WhipSession }>();
  const log = deps.logger.child({ mod: "whip" });

  /** 200 path when `key` opens `publicId`; 404 when the stream does not exist; 401 otherwise. */
  async function authorize(key: string, publicId: string): Promise<void> {
    try {
      if ((await deps.verifyKey(key)) === publicId) return;
      if (!(await deps.streamExists(publicId))) throw new HttpError(404, "not_found", "no such stream");
    } catch (err) {
      if (err instanceof HttpError) throw err;
      log.error("key verification failed", { publicId, err: String(err) });
      throw new HttpError(503, "unavailable", "cannot verify the stream key right now; try again");
    }
    throw new HttpError(
      401,
      "unauthorized",
      "this stream key does not open this stream (wrong key, or the stream has ended)",
    );
  }

  function refuseIfLive(publicId: string): void {
    if (byStream.has(publicId) || deps.isLive(publicId))
      throw new HttpError(409, "conflict", "this stream is already live; end the other broadcast first");
    const full = deps.refusal?.(publicId);
    if (full)
      throw new HttpError(503, "at_capacity", full.reason, { "Retry-After": String(full.retryAfterSeconds) });
  }

  const routes = new Hono();
  routes.onError(errorHandler(log));
  routes.notFound(notFoundHandler);
  routes.use("*", whipCors);

  routes.post("/:publicId", async (c) => {
    const contentType = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/sdp")
      throw new HttpError(
        415,
        "unsupported_media_type",
        "send the SDP offer as Content-Type: application/sdp",
      );
    const publicId = c.req.param("publicId");
    if (!PublicId.safeParse(publicId).success) throw new HttpError(404, "not_found", "no such stream");
    const admitted = deps.limits?.admitWhipSetup(clientAddress(c, deps.trustedProxies ?? []));
    if (admitted && typeof admitted !== "function")
      throw new HttpError(
        admitted.status,
        admitted.status === 429 ? "too_many_requests" : "unavailable",
        admitted.message,
        {
          "Retry-After": String(admitted.retryAfterSeconds),
        },
      );
    try {
      return await answerOffer(c, publicId);
    } finally {
      admitted?.();
    }
  });

  /** Checks the key and the offer, starts a session and answers (the part a setup limit covers). */
  async function answerOffer(c: Context, publicId: string): Promise<Response> {
    const key = requireKey(c.req.header("authorization"));
    await authorize(key, publicId);
    refuseIfLive(publicId);
    const length = Number(c.req.header("content-length") ?? 0);
    if (length > MAX_OFFER_BYTES) throw new HttpError(413, "too_large", "SDP offer is too large");
    const offer = await c.req.text();
    let choice: OfferChoice;
    try {
      choice = chooseCodecs(offer);
    } catch (err) {
      if (err instanceof OfferError)
        throw new HttpError(400, "bad_sdp", `malformed SDP offer: ${err.message}`);
      throw err;
    }
    // Checked again: another POST may have claimed the stream while this body was read.
    refuseIfLive(publicId);

    const id = crypto.randomUUID();
    const slog = log.child({ publicId, session: id.slice(0, 8) });
    const options: SessionOptions = {
      id,
      publicId,
      choice,
      pipeline: deps.pipeline,
      logger: slog,
      iceHosts: deps.iceHosts ?? ["127.0.0.1"],
      ...(deps.icePortRange ? { icePortRange: deps.icePortRange } : {}),
      mediaTimeoutMs: deps.mediaTimeoutMs ?? 10_000,
      idleTimeoutMs: deps.idleTimeoutMs ?? 3000,
      closeWaitMs: deps.closeWaitMs ?? 1500,
      keyframeIntervalMs: deps.keyframeIntervalMs ?? 1000,
      onEnd: () => {
        byId.delete(id);
        if (byStream.get(publicId) === session) byStream.delete(publicId);
      },
      ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
    };
    const session = new WhipSession(options);
    // Claimed by the session itself (not a placeholder): were it to end while its offer is answered (ICE
    // failing at once on a bad offer), its onEnd must find it here and free the stream.
    byStream.set(publicId, session);
    let answer: string;
    try {
      answer = await session.answer(offer);
    } catch (err) {
      await session.end("negotiation failed");
      slog.warn("negotiation failed", { err: String(err) });
      throw new HttpError(
        400,
        "bad_sdp",
        "cannot answer this SDP offer: check its codecs and ICE/DTLS lines",
      );
    }
    // It already ended (and freed the stream): answering 201 would hand out a Location for a dead session.
    if (session.endReason !== null) throw endedWhileAnswering(session.endReason);
    byId.set(id, { publicId, key, session });
    slog.info("whip session started", { video: choice.video?.name, audio: choice.audio?.name ?? "none" });
    c.header("Location", `${basePath}/${publicId}/${id}`);
    c.header("Content-Type", "application/sdp");
    return c.body(answer, 201);
  }

  routes.delete("/:publicId/:sessionId", async (c) => {
    const entry = byId.get(c.req.param("sessionId"));
    if (!entry || entry.publicId !== c.req.param("publicId"))
      throw new HttpError(404, "not_found", "no such WHIP session");
    const key = requireKey(c.req.header("authorization"));
    if (!safeEqual(key, entry.key))
      throw new HttpError(401, "unauthorized", "wrong stream key for this session");
    // The publisher asked to stop: the session ends (not a drop the stream waits out).
    await entry.session.end("DELETE", "clean");
    return c.body(null, 200);
  });

  // Trickle ICE and ICE restarts are not supported: the answer already carries every host candidate.
  routes.patch("/:publicId/:sessionId", () => {
    throw new HttpError(
      405,
      "method_not_allowed",
      "trickle ICE is not supported; candidates are in the SDP",
      {
        Allow: "DELETE, OPTIONS",
      },
    );
  });

  return {
    routes,
    publishing: (publicId) => byStream.has(publicId),
    kick: async (publicId) => {
      const session = byStream.get(publicId);
      if (!session) return false;
      await session.end("stream deleted", "clean");
      return true;
    },
    sessions: () => {
      // Answered sessions only (those with a Location), as before.
      const out = new Map<string, WhipSession>();
      for (const e of byId.values()) out.set(e.publicId, e.session);
      return out;
    },
    stop: async () => {
      // Every session that holds a stream, including one whose offer is still being answered.
      await Promise.allSettled([...byStream.values()].map((s) => s.end("shutdown", "dropped")));
    },
  };
}
