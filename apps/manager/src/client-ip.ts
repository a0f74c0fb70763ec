import { BlockList, isIP } from "node:net";
import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, a comma-separated CIDR list). */
export interface TrustedProxies {
  has(address: string): boolean;
}

/** Parses `10.0.0.0/8, ::1/128, 192.168.1.7` (a bare address is a /32 or /128); throws on anything else. */
export function trustedProxies(list: string): TrustedProxies {
  const block = new BlockList();
  for (const raw of list.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const [addr = "", bits, extra] = entry.split("/");
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max)
      throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    block.addSubnet(addr, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return {
    has(address) {
      const a = normalise(address);
      const family = isIP(a);
      return family !== 0 && block.check(a, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is the IPv4 address it carries. */
function normalise(address: string): string {
  const a = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped?.[1] ?? a;
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy, in which case `X-Forwarded-For` is
 * read from the right (each trusted proxy appends the address it saw) and the first hop that is not a trusted
 * proxy is the client. Anything a client wrote further left is never believed.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusted: TrustedProxies,
) {
  if (peer === undefined) return undefined;
  let client = normalise(peer);
  if (!forwardedFor || !trusted.has(client)) return client;
  const hops = forwardedFor.split(",").map(normalise);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? "";
    // A hop that is not an address was not written by a proxy we trust: stop at the last good one.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return client;
  }
  return client;
}

/**
 * The key abuse limits count by: an IPv4 address, or an IPv6 address's /64 (one subscriber usually holds a whole
 * /64, so counting single IPv6 addresses would be no limit at all). "unknown" when there is no socket address.
 */
export function limitKey(address: string | undefined): string {
  if (address === undefined || isIP(address) === 0) return "unknown";
  if (isIP(address) === 4) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail converted), as lowercase hex. */
function expandIPv6(address: string): string[] {
  let a = address.toLowerCase().split("%")[0] ?? "";
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = "", tail] = a.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}

/** The socket peer of a request served by Bun (`server.requestIP`); undefined outside a Bun server. */
export function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** The client address of a request, from the socket and, behind trusted proxies, `X-Forwarded-For`. */
export function requestClientAddress(c: Context, trusted: TrustedProxies): string | undefined {
  return clientAddress(socketAddress(c), c.req.header("x-forwarded-for"), trusted);
}
