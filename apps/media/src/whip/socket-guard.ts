import type { EventEmitter } from "node:events";
import type { RTCPeerConnection } from "werift";

/** The part of werift's (private) ICE internals that owns the UDP sockets. */
interface IceInternals {
  protocols?: { transport?: { socket?: EventEmitter } }[];
}

/**
 * Gives every UDP socket of a werift peer an 'error' listener. werift adds none, and under Bun an ICMP
 * "port unreachable" (a browser that went away, a candidate nobody listens on) surfaces as an 'error'
 * event on the socket, which without a listener throws and takes the whole media node down.
 * Call after ICE gathering, when the sockets exist.
 */
export function guardSocketErrors(pc: RTCPeerConnection, onError: (err: Error) => void): number {
  let guarded = 0;
  for (const transport of pc.iceTransports) {
    const internals = transport.connection as unknown as IceInternals;
    for (const protocol of internals.protocols ?? []) {
      const socket = protocol.transport?.socket;
      if (!socket || socket.listenerCount("error") > 0) continue;
      socket.on("error", onError);
      guarded++;
    }
  }
  return guarded;
}
