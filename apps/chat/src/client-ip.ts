import { BlockList, isIP } from "node:net";

/** Which peers are our own proxies (nginx edge, a load balancer): only their X-Forwarded-For is believed. */
export interface TrustedProxies {
  has(address: string): boolean;
}

/** Strips the IPv4-mapped prefix Bun reports for IPv4 peers on a dual-stack socket. */
function plain(address: string): string {
  const a = address.trim();
  return a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** Parses `TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks (IPv4 or IPv6); throws on a bad entry. */
export function trustedProxies(list: string): TrustedProxies {
  const blocks = new BlockList();
  for (const raw of list.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addr = "", bits] = entry.split("/");
    const family = isIP(addr);
    if (family === 0) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR block`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) blocks.addAddress(addr, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
        throw new Error(`TRUSTED_PROXIES: "${entry}" has a bad prefix length`);
      blocks.addSubnet(addr, prefix, type);
    }
  }
  return {
    has(address) {
      const a = plain(address);
      const family = isIP(a);
      return family !== 0 && blocks.check(a, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then X-Forwarded-For is read
 * from the right, skipping our own proxies, and the first address that is not one is the client. Entries
 * left of it were written by the client and are ignored (anyone can forge them).
 */
export function clientIp(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: TrustedProxies,
) {
  let current = plain(peer ?? "unknown");
  if (!trusted.has(current) || !forwardedFor) return current;
  const hops = forwardedFor.split(",").map(plain).filter(Boolean);
  while (hops.length > 0 && trusted.has(current)) {
    const next = hops.pop() as string;
    if (isIP(next) === 0) return current;
    current = next;
  }
  return current;
}
