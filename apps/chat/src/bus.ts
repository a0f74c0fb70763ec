import type { ChatCounts, ChatMessage, RoomCounts } from "@hearth/contracts";

/** What one node tells every node (itself included) about a room. */
export type BusEvent =
  | { kind: "message"; message: ChatMessage }
  | { kind: "delete"; messageId: string }
  /** A ban (`until` null) or a time-out until `until` (ms since the epoch). */
  | { kind: "moderation"; userId: string; until: number | null }
  | { kind: "unban"; userId: string }
  | { kind: "slow"; seconds: number }
  | { kind: "presence"; name: string; joined: boolean }
  | { kind: "closed" };

/** Receives every event for the rooms this node watches, in the order the bus delivers them. */
export type BusHandler = (room: string, event: BusEvent) => void;

/**
 * How rooms reach every chat node. A node watches the rooms it has clients in; an event published on
 * any node reaches each watching node once, in one order per room (the order the bus saw them).
 */
export interface ChatBus {
  readonly kind: "local" | "redis";
  /** Whether events currently reach other nodes (always true for the in-process bus). */
  connected(): boolean;
  /** Sends an event to every node watching `room`; falls back to this node alone while the bus is away. */
  publish(room: string, event: BusEvent): void;
  /** Starts receiving a room's events; resolves once events published from now on will arrive. */
  watch(room: string): Promise<void>;
  unwatch(room: string): void;
  /** Reports this node's counts and returns the counts of every live node summed. */
  counts(local: RoomCounts["rooms"]): Promise<RoomCounts>;
  /**
   * Claims a normalised display name in a room across nodes for one local connection; true when it is
   * free or already this connection's. The in-process bus has nothing to add to the room's own check.
   */
  claimName(room: string, key: string, connId: number): Promise<boolean>;
  releaseName(room: string, key: string, connId: number): void;
  /** The other nodes' counts for a room, as last seen (0 without other nodes). */
  remoteCounts(room: string): ChatCounts;
  close(): Promise<void>;
}

/** The single-process bus: events go straight to the handler. */
export function localBus(handler: BusHandler): ChatBus {
  return {
    kind: "local",
    connected: () => true,
    publish: (room, event) => handler(room, event),
    watch: async () => {},
    unwatch() {},
    counts: async (local) => ({ rooms: local }),
    remoteCounts: () => ({ viewers: 0, chatters: 0 }),
    claimName: async () => true,
    releaseName() {},
    async close() {},
  };
}
