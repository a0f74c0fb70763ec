import type { ChatClientFrame } from "@hearth/contracts";
import type { ActionContext } from "./chat-actions.ts";
import type { ChatSocket, Room } from "./room.ts";
import { frame } from "./server-frame.ts";

/** The frames only a moderator may send (plus `auth`, which makes one). */
export type ModerationFrame = Exclude<ChatClientFrame, { type: "send" | "nick" | "ping" }>;

/**
 * The streamer's tools: `auth` with the stream's private id, then delete, timeout, ban, unban, slow.
 * The key is passed to the manager and dropped: never stored, echoed or logged.
 */
export async function moderate(
  ctx: ActionContext,
  ws: ChatSocket,
  room: Room,
  f: ModerationFrame,
): Promise<void> {
  const d = ws.data;
  if (f.type === "auth") {
    const ok = await ctx.verifier.verify(f.key, room.publicId);
    if (!ok) {
      ctx.enforce.refuse(ws, "auth_failed", "that is not this stream's key");
      ctx.enforce.strike(ws);
      return;
    }
    d.moderator = true;
    ctx.logger.info("moderator joined", { room: room.publicId, userId: d.userId });
    ws.send(frame({ type: "auth_ok" }));
    return;
  }
  if (!d.moderator)
    return ctx.enforce.refuse(ws, "not_moderator", "only the streamer can do that (send auth first)");
  switch (f.type) {
    case "delete": {
      const found = await ctx.store.remove(room.publicId, f.messageId);
      if (!found && !room.recent.some((m) => m.id === f.messageId)) {
        return ctx.enforce.refuse(ws, "not_found", "no such message in this room");
      }
      ctx.bus.publish(room.publicId, { kind: "delete", messageId: f.messageId });
      return;
    }
    case "timeout": {
      const until = ctx.clock.now() + f.seconds * 1000;
      await ctx.store.ban(room.publicId, f.userId, until);
      ctx.bus.publish(room.publicId, { kind: "moderation", userId: f.userId, until });
      return;
    }
    case "ban":
      await ctx.store.ban(room.publicId, f.userId, null);
      ctx.bus.publish(room.publicId, { kind: "moderation", userId: f.userId, until: null });
      return;
    case "unban":
      await ctx.store.unban(room.publicId, f.userId);
      ctx.bus.publish(room.publicId, { kind: "unban", userId: f.userId });
      return;
    case "slow":
      await ctx.store.setSlowMode(room.publicId, f.seconds);
      ctx.bus.publish(room.publicId, { kind: "slow", seconds: f.seconds });
      return;
  }
}
