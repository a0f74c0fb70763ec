import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { clientAddress, limitKey, requestClientAddress, trustedProxies } from "./client-ip.ts";

describe("client address", () => {
  const trusted = trustedProxies("10.0.0.0/8, 127.0.0.1, fd00::/8");

  test("TRUSTED_PROXIES parses CIDR ranges and bare addresses, and refuses anything else", () => {
    expect(trusted.has("10.200.3.4")).toBe(true);
    expect(trusted.has("127.0.0.1")).toBe(true);
    expect(trusted.has("127.0.0.2")).toBe(false);
    expect(trusted.has("::ffff:10.1.1.1")).toBe(true);
    expect(trusted.has("fd12::1")).toBe(true);
    expect(trusted.has("2001:db8::1")).toBe(false);
    expect(trusted.has("not an address")).toBe(false);
    expect(trustedProxies("").has("127.0.0.1")).toBe(false);
    for (const bad of ["10.0.0.0/33", "example.com", "10.0.0.0/8/1", "::1/129", "1.2.3"])
      expect(() => trustedProxies(bad)).toThrow(/TRUSTED_PROXIES/);
  });

  test("X-Forwarded-For is ignored unless the socket peer is a trusted proxy", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", trusted)).toBe("203.0.113.9");
    expect(clientAddress("203.0.113.9", undefined, trusted)).toBe("203.0.113.9");
    expect(clientAddress("::ffff:203.0.113.9", "1.1.1.1", trusted)).toBe("203.0.113.9");
    expect(clientAddress(undefined, "1.1.1.1", trusted)).toBeUndefined();
  });

  test("behind trusted proxies, the rightmost hop that is not one of them is the client", () => {
    expect(clientAddress("10.0.0.2", "198.51.100.1", trusted)).toBe("198.51.100.1");
    // A client forging hops on the left changes nothing: nginx appended the address it saw.
    expect(clientAddress("10.0.0.2", "1.2.3.4, 5.6.7.8, 198.51.100.1", trusted)).toBe("198.51.100.1");
    // Two proxies (edge then shield): both skipped.
    expect(clientAddress("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", trusted)).toBe("198.51.100.1");
    // Garbage from further left is never believed.
    expect(clientAddress("10.0.0.2", "<script>, 198.51.100.1", trusted)).toBe("198.51.100.1");
    // A trusted proxy that forwarded garbage: the proxy itself is all we know.
    expect(clientAddress("10.0.0.2", "198.51.100.1, junk", trusted)).toBe("10.0.0.2");
    // Only trusted hops: the leftmost of them.
    expect(clientAddress("10.0.0.2", "10.9.9.9", trusted)).toBe("10.9.9.9");
  });

  test("limits count IPv4 addresses and IPv6 /64s", () => {
    expect(limitKey("198.51.100.1")).toBe("198.51.100.1");
    expect(limitKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(limitKey("2001:db8:1:2::9")).toBe("2001:db8:1:2::/64");
    expect(limitKey("2001:DB8:0001:0002::")).toBe("2001:db8:1:2::/64");
    expect(limitKey("::1")).toBe("0:0:0:0::/64");
    expect(limitKey("64:ff9b::192.0.2.33")).toBe("64:ff9b:0:0::/64");
    expect(limitKey(undefined)).toBe("unknown");
    expect(limitKey("nonsense")).toBe("unknown");
  });
});

test("behind Bun's server, the socket address is the peer's", async () => {
  const app = new Hono().get("/", (c) => c.text(requestClientAddress(c, trustedProxies("")) ?? "none"));
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/`, {
      headers: { "x-forwarded-for": "1.2.3.4" },
    });
    expect(await res.text()).toBe("127.0.0.1");
  } finally {
    await server.stop(true);
  }
  // Outside a server (app.request with no env) there is no socket: no address, never a crash.
  expect(await (await app.request("http://localhost/")).text()).toBe("none");
});
