import type { Context } from "hono";

/** The part of Bun's server that tells a request's peer address (Hono's `c.env` under Bun.serve). */
interface PeerAddressSource {
  requestIP?(req: Request): { address: string } | null;
}

/**
 * The client's address for per-address limits: the socket peer, or the last X-Forwarded-For hop when
 * the peer is a trusted proxy (a forged header from anyone else is ignored). "unknown" when the request
 * did not come through Bun.serve (tests calling `app.request`).
 */
export function clientAddress(c: Context, trustedProxies: readonly string[]): string {
  let peer: string | undefined;
  try {
    peer = (c.env as PeerAddressSource | undefined)?.requestIP?.(c.req.raw)?.address;
  } catch {
    peer = undefined;
  }
  if (!peer) return "unknown";
  const plain = peer.startsWith("::ffff:") ? peer.slice(7) : peer;
  if (!trustedProxies.includes(plain) && !trustedProxies.includes(peer)) return plain;
  const hops = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  return hops.at(-1) ?? plain;
}
