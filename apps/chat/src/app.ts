import {
  CHAT_REPLAY_PAGE,
  CHAT_SUBPROTOCOL,
  ChatCreateRoom,
  ChatDisplayName,
  type ChatReplay,
  type ChatRoomAddress,
  identityFromSubprotocols,
  PublicId,
} from "@hearth/contracts";
import {
  errorHandler,
  HttpError,
  internalAuth,
  type Logger,
  notFoundHandler,
  requestId,
} from "@hearth/server-kit";
import type { Server } from "bun";
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { ChatHub } from "./chat-hub.ts";
import { clientIp, type TrustedProxies } from "./client-ip.ts";
import { ConnectionLimitError } from "./connection-cap.ts";
import type { ChatMetrics } from "./metrics.ts";
import { encodeReplayCursor } from "./replay-cursor.ts";
import { parseDeleteRangeQuery, parseReplayQuery } from "./replay-query.ts";
import type { ConnData } from "./room.ts";

export interface ChatAppDeps {
  hub: ChatHub;
  metrics: ChatMetrics;
  logger: Logger;
  internalToken: string;
  /** e.g. ws://localhost:8082; a room's chatUrl is `${publicChatBase}/rooms/<publicId>`. */
  publicChatBase: string;
  /** Peers whose X-Forwarded-For names the client (the nginx edge); others count as themselves. */
  trustedProxies: TrustedProxies;
  /** Most messages per replay answer (CHAT_REPLAY_PAGE unless a test pages sooner). */
  replayPageSize?: number;
}

function publicIdOr400(value: unknown): string {
  const r = PublicId.safeParse(value);
  if (!r.success) throw new HttpError(400, "invalid_input", r.error.issues[0]?.message ?? "bad public id");
  return r.data;
}

/** Builds the chat service's HTTP side: the room upgrade, chat replay, the internal API, health and metrics. */
export function createApp(deps: ChatAppDeps): Hono {
  const { hub } = deps;
  const app = new Hono();
  app.use(requestId());
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);

  app.get("/healthz", (c) =>
    c.json({ ok: true, bus: hub.bus.kind, busConnected: hub.bus.connected(), rooms: hub.rooms.size }),
  );

  deps.metrics.observeHub({
    rooms: () => hub.rooms.size,
    busConnected: () => hub.bus.connected(),
    addresses: () => hub.cap.addresses(),
  });
  app.get("/metrics", () => deps.metrics.render());

  app.get("/rooms/:publicId", async (c) => {
    const publicId = publicIdOr400(c.req.param("publicId"));
    // Bun hands its server to fetch() as the second argument, which Hono exposes as c.env.
    const server = c.env as Server<ConnData> | undefined;
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket" || typeof server?.upgrade !== "function") {
      throw new HttpError(426, "upgrade_required", "connect with a WebSocket", { Upgrade: "websocket" });
    }
    // A bad name in the URL is ignored: the client can still pick one with a nick frame.
    const name = ChatDisplayName.safeParse(c.req.query("name") ?? "");
    // The identity is a secret: it comes as a subprotocol, never from the URL (which proxies log). An
    // `?identity=` from an old client is ignored, so it gets a fresh identity rather than a logged one.
    const identity = identityFromSubprotocols(c.req.header("sec-websocket-protocol"));
    const peer = typeof server.requestIP === "function" ? server.requestIP(c.req.raw)?.address : undefined;
    const ip = clientIp(peer, c.req.header("x-forwarded-for"), deps.trustedProxies);
    const data = await hub
      .admit(publicId, identity, name.success ? name.data : null, ip)
      .catch((err: Error) => {
        if (err instanceof ConnectionLimitError) {
          throw new HttpError(429, "too_many_connections", `${err.message}; close another tab and retry`, {
            "Retry-After": "30",
          });
        }
        // Only a room this node has not loaded yet needs the database; say "try again", not 500.
        deps.logger.warn("cannot admit a chat connection", { room: publicId, err: err.message });
        throw new HttpError(503, "unavailable", "chat is unavailable for a moment; retry");
      });
    // A browser that offered subprotocols fails the handshake unless one is selected: always ours.
    const headers: Record<string, string> = c.req.header("sec-websocket-protocol")
      ? { "Sec-WebSocket-Protocol": CHAT_SUBPROTOCOL }
      : {};
    if (server.upgrade(c.req.raw, { data, headers })) return new Response(null);
    hub.abandon(data);
    throw new HttpError(400, "upgrade_failed", "the WebSocket handshake was not valid");
  });

  // Chat replay is read by the video page's script, from the web tier's origin or any other player.
  app.use("/rooms/:publicId/replay", cors({ origin: "*", allowMethods: ["GET"], maxAge: 600 }));
  app.get("/rooms/:publicId/replay", async (c) => {
    const publicId = publicIdOr400(c.req.param("publicId"));
    const range = parseReplayQuery(c.req.query());
    const page = await hub.replay(publicId, range, deps.replayPageSize ?? CHAT_REPLAY_PAGE);
    if (!page) throw new HttpError(404, "room_not_found", "no chat room with that id");
    const body: ChatReplay = {
      // Built field by field: a stored row never reaches the wire with more than the public message.
      messages: page.messages.map((m) => ({
        id: m.id,
        userId: m.userId,
        name: m.name,
        text: m.text,
        ts: m.ts,
      })),
      next: page.next ? encodeReplayCursor(page.next) : null,
    };
    // A moderator's deletion or a deleted recording must show at once; the CDN does not cache /rooms/ either.
    c.header("Cache-Control", "no-store");
    return c.json(body);
  });

  const internal = new Hono();
  internal.use(internalAuth(deps.internalToken));
  internal.post("/rooms", async (c) => {
    const body = ChatCreateRoom.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) throw new HttpError(400, "invalid_input", "body must be { publicId }");
    await hub.createRoom(body.data.publicId);
    const address: ChatRoomAddress = { chatUrl: `${deps.publicChatBase}/rooms/${body.data.publicId}` };
    return c.json(address, 201);
  });
  internal.delete("/rooms/:publicId", async (c) => {
    await hub.closeRoom(publicIdOr400(c.req.param("publicId")));
    return c.body(null, 204);
  });
  internal.delete("/rooms/:publicId/messages", async (c) => {
    const publicId = publicIdOr400(c.req.param("publicId"));
    const { from, to } = parseDeleteRangeQuery(c.req.query());
    const deleted = await hub.deleteMessages(publicId, from, to);
    deps.logger.info("chat messages deleted", { room: publicId, from, to, deleted });
    return c.body(null, 204);
  });
  internal.get("/rooms/counts", async (c) => c.json(await hub.counts()));
  app.route("/internal", internal);
  return app;
}
