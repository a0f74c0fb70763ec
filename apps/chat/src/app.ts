import {
  CHAT_SUBPROTOCOL,
  ChatCreateRoom,
  ChatDisplayName,
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
import type { ChatHub } from "./chat-hub.ts";
import { clientIp, type TrustedProxies } from "./client-ip.ts";
import { ConnectionLimitError } from "./connection-cap.ts";
import type { ChatMetrics } from "./metrics.ts";
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
}

function publicIdOr400(value: unknown): string {
  const r = PublicId.safeParse(value);
  if (!r.success) throw new HttpError(400, "invalid_input", r.error.issues[0]?.message ?? "bad public id");
  return r.data;
}

/** Builds the chat service's HTTP side: the room upgrade, the internal API, health and metrics. */
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
  internal.get("/rooms/counts", async (c) => c.json(await hub.counts()));
  app.route("/internal", internal);
  return app;
}
