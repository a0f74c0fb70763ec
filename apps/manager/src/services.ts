import { ChatRoomAddress, MediaStreamAddresses, RoomCounts } from "@hearth/contracts";
import { type InternalClient, UpstreamError } from "@hearth/server-kit";
import type { MediaNodeStore } from "./media-nodes.ts";

/** What the manager needs from the media tier (declared here, by the consumer). */
export interface MediaService {
  /** Asks a media node to expect this stream; returns where it will be served and which node took it. */
  create(publicId: string): Promise<MediaStreamAddresses & { node: string | null }>;
  /** Stops the stream on its node (kicks the publisher, ends the playlist). */
  remove(publicId: string, node: string | null): Promise<void>;
  /** Whether a stream could be placed now; throws saying why not. Resolves to a short description. */
  ready(): Promise<string>;
}

/** What the manager needs from the chat tier. */
export interface ChatService {
  create(publicId: string): Promise<ChatRoomAddress>;
  remove(publicId: string): Promise<void>;
  counts(): Promise<RoomCounts>;
  /** Deletes a room's messages sent between two server times (ms, inclusive): a deleted recording's chat. */
  deleteMessages(publicId: string, fromMs: number, toMs: number): Promise<void>;
  /** Whether the chat service answers; throws saying why not. */
  ready(): Promise<string>;
}

/**
 * The media tier: the healthy registered node placement picks, or, while no node has ever registered, the single
 * node at MEDIA_INTERNAL_URL (embedded mode and small set-ups need no registration).
 */
export function placedMediaService(deps: {
  nodes: MediaNodeStore;
  single: InternalClient;
  clientFor(internalUrl: string): InternalClient;
  /** For readiness: a client with a short timeout. */
  probe?: InternalClient;
}): MediaService {
  const createOn = async (client: InternalClient, publicId: string, node: string | null) => {
    const addr = await client.call("POST", "/internal/streams", { publicId }, MediaStreamAddresses);
    if (!addr) throw new Error("media answered without a body");
    return { ...addr, node };
  };
  return {
    async create(publicId) {
      if (!(await deps.nodes.any())) return createOn(deps.single, publicId, null);
      const node = await deps.nodes.place();
      if (!node) throw new UpstreamError("media", 503, "no healthy media node");
      return createOn(deps.clientFor(node.internalUrl), publicId, node.id);
    },
    async remove(publicId, nodeId) {
      const node = nodeId ? await deps.nodes.byId(nodeId) : undefined;
      const client = node ? deps.clientFor(node.internalUrl) : deps.single;
      await client.call("DELETE", `/internal/streams/${encodeURIComponent(publicId)}`, undefined, null);
    },
    async ready() {
      if (await deps.nodes.any()) {
        const healthy = (await deps.nodes.loads()).length;
        if (healthy === 0) throw new UpstreamError("media", 503, "no media node has heart-beaten recently");
        return `${healthy} healthy media node${healthy === 1 ? "" : "s"}`;
      }
      await (deps.probe ?? deps.single).call("GET", "/healthz", undefined, null);
      return "the media node answers";
    },
  };
}

/** The chat service, reached at CHAT_INTERNAL_URL (any node: rooms are shared through Redis). */
export function httpChatService(client: InternalClient, probe: InternalClient = client): ChatService {
  return {
    async create(publicId) {
      const room = await client.call("POST", "/internal/rooms", { publicId }, ChatRoomAddress);
      if (!room) throw new Error("chat answered without a body");
      return room;
    },
    async remove(publicId) {
      await client.call("DELETE", `/internal/rooms/${encodeURIComponent(publicId)}`, undefined, null);
    },
    async deleteMessages(publicId, fromMs, toMs) {
      const range = `from=${Math.floor(fromMs)}&to=${Math.ceil(toMs)}`;
      await client.call(
        "DELETE",
        `/internal/rooms/${encodeURIComponent(publicId)}/messages?${range}`,
        undefined,
        null,
      );
    },
    async counts() {
      return (await client.call("GET", "/internal/rooms/counts", undefined, RoomCounts)) ?? { rooms: {} };
    },
    async ready() {
      await probe.call("GET", "/healthz", undefined, null);
      return "the chat service answers";
    },
  };
}
