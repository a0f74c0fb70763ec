/**
 * Hostile-input guards around one node-media-server RTMP session, applied before `run()`:
 * - a parser exception (bogus AMF, impossible values) closes that connection instead of escaping the
 *   socket's 'data' listener and taking the whole node down;
 * - an RTMP message header may announce up to 16 MB, which node-media-server allocates at once, on each of
 *   up to 65,599 chunk streams: a connection's announced buffers are capped, past that it is closed.
 */

/** The parts of node-media-server's RTMP parser this module touches. */
interface NmsParser {
  parserPacket: { header: { length: number }; capacity: number };
  inPackets: Map<number, { capacity: number }>;
  packetAlloc(): void;
}

interface GuardableSession {
  socket: { destroy(): void };
  rtmp: NmsParser;
  onData: (data: Buffer) => void;
}

/** What a guarded session reports back (for logs and metrics). */
export type HardeningEvent = "parser_error" | "oversized_message";

/**
 * Wraps `session` (an nms RtmpSession, before `run()`): `maxBufferedBytes` bounds the sum of the message
 * buffers one connection may make node-media-server allocate.
 */
export function hardenRtmpSession(
  session: unknown,
  maxBufferedBytes: number,
  onEvent: (event: HardeningEvent, detail: string) => void,
): void {
  const s = session as GuardableSession;
  const parser = s.rtmp;
  const alloc = parser.packetAlloc.bind(parser);
  parser.packetAlloc = () => {
    const wanted = parser.parserPacket.header.length + 1024;
    if (wanted > parser.parserPacket.capacity) {
      let held = 0;
      for (const p of parser.inPackets.values()) if (p !== parser.parserPacket) held += p.capacity;
      if (held + wanted > maxBufferedBytes) {
        onEvent("oversized_message", `${wanted} bytes announced, ${held} held`);
        s.socket.destroy();
        // Parse on harmlessly into a small buffer: the socket is already gone.
        parser.parserPacket.header.length = 0;
      }
    }
    alloc();
  };
  const onData = s.onData;
  s.onData = (data) => {
    try {
      onData(data);
    } catch (err) {
      onEvent("parser_error", String(err).slice(0, 200));
      s.socket.destroy();
    }
  };
}
