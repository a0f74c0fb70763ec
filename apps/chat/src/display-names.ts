import type { ChatBus } from "./bus.ts";
import { normaliseName, type Room } from "./room.ts";

/** Claims a display name for a connection: free on this node first, then across nodes through the bus. */
export async function claimDisplayName(
  bus: ChatBus,
  room: Room,
  connId: number,
  name: string,
): Promise<boolean> {
  if (!room.claimName(connId, name)) return false;
  if (await bus.claimName(room.publicId, normaliseName(name), connId)) return true;
  room.releaseName(connId, name);
  return false;
}

/** Gives a connection's display name back, here and across nodes. */
export function releaseDisplayName(bus: ChatBus, room: Room, connId: number, name: string | null): void {
  if (name === null) return;
  room.releaseName(connId, name);
  bus.releaseName(room.publicId, normaliseName(name), connId);
}
