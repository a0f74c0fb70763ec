import { describe, expect, test } from "bun:test";
import { createLogger } from "@hearth/server-kit";
import { ConnectionLimits, type RtmpTicket } from "./connection-limits.ts";

const config = {
  rtmpPerIp: 2,
  rtmpHandshakes: 3,
  rtmpPublishTimeoutMs: 1000,
  whipSetupsPerIp: 1,
  whipSetups: 2,
};

function limits() {
  const lines: string[] = [];
  let now = 0;
  const l = new ConnectionLimits(config, createLogger({}, { sink: (line) => lines.push(line) }), () => now);
  return { l, lines, advance: (ms: number) => (now += ms) };
}

describe("ConnectionLimits", () => {
  test("RTMP: per-address cap, node-wide handshake cap; publishing frees a handshake slot, closing frees both", () => {
    const { l } = limits();
    const a1 = l.admitRtmp("10.0.0.1") as RtmpTicket;
    const a2 = l.admitRtmp("10.0.0.1") as RtmpTicket;
    expect(l.admitRtmp("10.0.0.1")).toBe("rtmp_per_ip");
    const b1 = l.admitRtmp("10.0.0.2") as RtmpTicket;
    // Three handshakes in progress: a fourth address is refused too.
    expect(l.admitRtmp("10.0.0.3")).toBe("rtmp_handshakes");
    a1.published();
    a1.published(); // idempotent
    expect(typeof l.admitRtmp("10.0.0.3")).toBe("object");
    expect(l.snapshot()).toMatchObject({ rtmpConnections: 4, rtmpHandshaking: 3 });
    a2.release();
    a2.release(); // idempotent
    b1.release();
    expect(l.snapshot()).toMatchObject({ rtmpConnections: 2, rtmpHandshaking: 1 });
    expect(typeof l.admitRtmp("10.0.0.1")).toBe("object");
    expect(l.snapshot().refused).toMatchObject({ rtmp_per_ip: 1, rtmp_handshakes: 1 });
  });

  test("WHIP: 429 per address, 503 node-wide, both with Retry-After; release frees the slot", () => {
    const { l } = limits();
    const r1 = l.admitWhipSetup("10.0.0.1");
    expect(typeof r1).toBe("function");
    expect(l.admitWhipSetup("10.0.0.1")).toMatchObject({ status: 429, retryAfterSeconds: 2 });
    const r2 = l.admitWhipSetup("10.0.0.2");
    expect(l.admitWhipSetup("10.0.0.3")).toMatchObject({ status: 503 });
    (r1 as () => void)();
    (r2 as () => void)();
    expect(typeof l.admitWhipSetup("10.0.0.1")).toBe("function");
    expect(l.snapshot().refused).toMatchObject({ whip_setups_per_ip: 1, whip_setups: 1 });
  });

  test("a refusal is logged once per kind every 10 s, with the number suppressed in between", () => {
    const { l, lines, advance } = limits();
    l.admitRtmp("10.0.0.1");
    l.admitRtmp("10.0.0.1");
    for (let i = 0; i < 50; i++) l.admitRtmp("10.0.0.1");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      msg: "connection limit reached",
      limit: "rtmp_per_ip",
    });
    advance(10_000);
    l.admitRtmp("10.0.0.1");
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ suppressedSinceLastLine: 49 });
    l.rtmpPublishTimedOut("10.0.0.9");
    expect(lines).toHaveLength(3);
    expect(l.snapshot().refused.rtmp_per_ip).toBe(51);
  });
});
