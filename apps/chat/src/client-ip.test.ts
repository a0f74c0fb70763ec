import { describe, expect, test } from "bun:test";
import { clientIp, trustedProxies } from "./client-ip.ts";

const trusted = trustedProxies("127.0.0.1, ::1, 10.0.0.0/8");

describe("client address behind trusted proxies", () => {
  test("an untrusted peer's X-Forwarded-For is ignored (it could say anything)", () => {
    expect(clientIp("203.0.113.9", "198.51.100.1", trusted)).toBe("203.0.113.9");
  });

  test("a trusted peer's X-Forwarded-For names the client, read from the right past our own proxies", () => {
    expect(clientIp("127.0.0.1", "198.51.100.7", trusted)).toBe("198.51.100.7");
    // The client forged the first entry; the edge (10.x) appended the real peer, the shield the edge.
    expect(clientIp("::ffff:127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", trusted)).toBe("198.51.100.7");
  });

  test("a trusted peer without the header, or with garbage in it, counts as itself", () => {
    expect(clientIp("127.0.0.1", undefined, trusted)).toBe("127.0.0.1");
    expect(clientIp("127.0.0.1", "not-an-ip", trusted)).toBe("127.0.0.1");
  });

  test("bad TRUSTED_PROXIES entries are refused at start", () => {
    expect(() => trustedProxies("10.0.0.0/33")).toThrow(/prefix/);
    expect(() => trustedProxies("edge.example")).toThrow(/not an IP/);
    expect(trustedProxies("").has("127.0.0.1")).toBe(false);
  });
});
