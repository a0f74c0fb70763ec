/**
 * Hostile input against the real media node on loopback, bounded in count and time: 2,000 malformed RTMP
 * connections (random bytes, truncated handshakes, huge and zero chunk sizes, 16 MB message headers on many
 * chunk streams, bogus AMF, a publish that never sends media), 500 malformed SDP offers and 500 odd HLS
 * paths (traversal, encodings, NUL, overlong) sent as raw HTTP so nothing normalises them. Each must end in an
 * error or a closed connection; afterwards the node still takes a real ffmpeg publisher live and serves its
 * playlist, and the process's memory is back within a bound.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import net from "node:net";
import type { StartedStream } from "@hearth/contracts";
import { RTCPeerConnection, useH264, useOPUS } from "werift";
import { createStream, lookup, type Platform, publish, startPlatform, until } from "./media-harness.ts";

const RTMP_CONNECTIONS = 2000;
const SDP_OFFERS = 500;
const HLS_PATHS = 500;
/** Connections in flight at once: under the per-address cap set below, so every case reaches the parser. */
const CONCURRENCY = 32;
/** How much the process may have grown after everything was closed and collected. */
const RSS_BOUND_BYTES = 150 * 1024 * 1024;

let p: Platform;
let stream: StartedStream;

beforeAll(async () => {
  // A 2 s publish deadline (default 10 s) keeps 2,000 stalled handshakes within minutes.
  p = await startPlatform({ RTMP_PUBLISH_TIMEOUT_SECONDS: "2", RTMP_MAX_CONNECTIONS_PER_IP: "64" });
  stream = await createStream(p.managerUrl, "fuzz target");
}, 60_000);

afterAll(async () => {
  await p?.stop();
});

// ---- RTMP ----

function amfString(s: string): Buffer {
  const b = Buffer.alloc(3 + Buffer.byteLength(s));
  b[0] = 0x02;
  b.writeUInt16BE(Buffer.byteLength(s), 1);
  b.write(s, 3);
  return b;
}
function amfNumber(n: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = 0x00;
  b.writeDoubleBE(n, 1);
  return b;
}
const AMF_NULL = Buffer.from([0x05]);
function amfObject(props: Record<string, string>): Buffer {
  const parts: Buffer[] = [Buffer.from([0x03])];
  for (const [k, v] of Object.entries(props)) {
    const key = Buffer.alloc(2 + k.length);
    key.writeUInt16BE(k.length);
    key.write(k, 2);
    parts.push(key, amfString(v));
  }
  parts.push(Buffer.from([0, 0, 9]));
  return Buffer.concat(parts);
}

/** One RTMP message as a single type-0 chunk on chunk stream `cid` (payload must fit the 128-byte chunk or be split). */
function message(
  type: number,
  payload: Buffer,
  opts: { cid?: number; streamId?: number; length?: number } = {},
): Buffer {
  const header = Buffer.alloc(12);
  header[0] = opts.cid ?? 3;
  header.writeUIntBE(0, 1, 3);
  header.writeUIntBE(opts.length ?? payload.length, 4, 3);
  header[7] = type;
  header.writeUInt32LE(opts.streamId ?? 0, 8);
  // Split into 128-byte chunks with type-3 headers, as the default chunk size requires.
  const chunks: Buffer[] = [header];
  for (let i = 0; i < payload.length; i += 128) {
    if (i > 0) chunks.push(Buffer.from([0xc0 | (opts.cid ?? 3)]));
    chunks.push(payload.subarray(i, i + 128));
  }
  return Buffer.concat(chunks);
}

const handshake = () => Buffer.concat([Buffer.from([3]), randomBytes(1536)]);
const connect = () =>
  message(20, Buffer.concat([amfString("connect"), amfNumber(1), amfObject({ app: "live" })]));
const createStreamMsg = () => message(20, Buffer.concat([amfString("createStream"), amfNumber(2), AMF_NULL]));
const publishMsg = (name: string) =>
  message(
    20,
    Buffer.concat([amfString("publish"), amfNumber(3), AMF_NULL, amfString(name), amfString("live")]),
    {
      cid: 4,
      streamId: 1,
    },
  );
const setChunkSize = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return message(1, b, { cid: 2 });
};

/** The byte sequences each malformed connection sends (after which it waits for the server to close). */
const RTMP_CASES: ((i: number) => Buffer[])[] = [
  () => [randomBytes(1 + Math.floor(Math.random() * 4096))],
  () => [Buffer.from([3]), randomBytes(Math.floor(Math.random() * 1536))],
  () => [Buffer.from([Math.floor(Math.random() * 256)]), randomBytes(1536), randomBytes(1536)],
  () => [handshake(), randomBytes(1536), setChunkSize(0x7fffffff), randomBytes(2000)],
  () => [handshake(), randomBytes(1536), setChunkSize(0), connect()],
  // 16 MB announced on many chunk streams: node-media-server would allocate each at once.
  () => [
    handshake(),
    randomBytes(1536),
    ...Array.from({ length: 20 }, (_, c) => message(9, Buffer.alloc(8), { cid: 5 + c, length: 0xffffff })),
  ],
  () => [handshake(), randomBytes(1536), message(20, randomBytes(200))],
  () => [
    handshake(),
    randomBytes(1536),
    message(20, Buffer.concat([amfString("connect"), Buffer.from([0x03, 0xff, 0xff])])),
  ],
  () => [
    handshake(),
    randomBytes(1536),
    message(18, randomBytes(300)),
    message(8, randomBytes(50)),
    message(9, randomBytes(50)),
  ],
  // A publish with a key-shaped name the manager does not know: refused and closed at once.
  () => [
    handshake(),
    randomBytes(1536),
    connect(),
    createStreamMsg(),
    publishMsg(`live_${randomBytes(24).toString("base64url")}`),
  ],
  // A publish on a malformed path, and a publish with the real key that never sends media.
  () => [handshake(), randomBytes(1536), connect(), createStreamMsg(), publishMsg("../../etc/passwd")],
  () => [handshake(), randomBytes(1536), connect(), createStreamMsg(), publishMsg(stream.privateId)],
];

/** Sends one case; resolves "closed" when the server closed it, "timeout" when we had to. */
function rtmpCase(port: number, bufs: Buffer[], limitMs: number): Promise<"closed" | "timeout" | "refused"> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let done = false;
    const finish = (how: "closed" | "timeout" | "refused") => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish("timeout"), limitMs);
    socket.on("error", (err: NodeJS.ErrnoException) =>
      finish(err.code === "ECONNREFUSED" ? "refused" : "closed"),
    );
    socket.on("close", () => finish("closed"));
    socket.on("data", () => {});
    socket.on("connect", () => {
      for (const b of bufs) socket.write(b);
    });
  });
}

async function pool<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}

// ---- raw HTTP (fetch would normalise "..", encodings and overlong paths) ----

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    socket.on("data", (d) => {
      data += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data });
    });
  });
}

function oddPath(i: number): string {
  const pieces = [
    "..",
    "%2e%2e",
    "%2E%2E%2F",
    "..%2f",
    "%252e%252e",
    "%00",
    "%",
    "%zz",
    "\u00e9",
    "%c0%ae%c0%ae",
    "....//",
    "etc/passwd",
    stream.publicId,
    "source",
    "index.m3u8",
    "seg-x-1.m4s",
    "thumb.jpg",
    "",
    ";",
    "~",
  ];
  if (i % 50 === 0) return `/hls/${"a".repeat(2000 + i * 10)}`;
  const n = 1 + (i % 7);
  const parts = Array.from({ length: n }, () => pieces[Math.floor(Math.random() * pieces.length)]);
  return `/hls/${parts.join(i % 3 === 0 ? "/" : i % 3 === 1 ? "%2f" : "\\")}`;
}

// ---- SDP ----

async function realOffer(): Promise<string> {
  const pc = new RTCPeerConnection({ codecs: { video: [useH264()], audio: [useOPUS()] } });
  pc.addTransceiver("video", { direction: "sendonly" });
  pc.addTransceiver("audio", { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription?.sdp ?? "";
  await pc.close();
  return sdp;
}

function mutate(offer: string, i: number): string {
  const lines = offer.split("\r\n");
  switch (i % 8) {
    case 0:
      return offer.slice(0, Math.floor(Math.random() * offer.length));
    case 1:
      return lines.filter(() => Math.random() > 0.2).join("\r\n");
    case 2:
      return lines.map((l) => (Math.random() < 0.1 ? randomBytes(20).toString("latin1") : l)).join("\r\n");
    case 3:
      return `${offer}a=${"x".repeat(70_000)}\r\n`;
    case 4:
      return lines
        .map((l) => l.replace(/\d+/g, () => String(Math.floor(Math.random() * 2 ** 32))))
        .join("\r\n");
    case 5:
      return randomBytes(Math.floor(Math.random() * 3000)).toString("latin1");
    case 6:
      return lines.map((l) => (l.startsWith("m=") ? `m=video ${"9 ".repeat(500)}` : l)).join("\r\n");
    default:
      return lines.map((l) => (l.startsWith("a=rtpmap") ? "a=rtpmap:96 H264/-1/\u0000" : l)).join("\n");
  }
}

function rss(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

describe("hostile input never crashes the media node", () => {
  test("2,000 malformed RTMP connections, 500 malformed SDP offers, 500 odd HLS paths; then a real stream goes live", async () => {
    // Warm-up: one of each, so lazily loaded code is not counted as growth.
    await rtmpCase(p.ports.rtmp, RTMP_CASES[0]?.(0) ?? [], 3000);
    await rawGet(p.ports.mediaHttp, "/hls/x/index.m3u8");
    const before = rss();

    const rtmpResults = await pool(RTMP_CONNECTIONS, CONCURRENCY, (i) =>
      rtmpCase(p.ports.rtmp, (RTMP_CASES[i % RTMP_CASES.length] as (i: number) => Buffer[])(i), 15_000),
    );
    const closed = rtmpResults.filter((r) => r === "closed").length;
    const refused = rtmpResults.filter((r) => r === "refused").length;
    console.log(
      `fuzz: RTMP ${closed} closed by the node, ${rtmpResults.length - closed - refused} timed out, ${refused} refused`,
    );
    // The node answers every case by closing (parser error, refused publish, idle and publish deadlines).
    expect(refused).toBe(0);
    expect(closed).toBe(RTMP_CONNECTIONS);

    const offer = await realOffer();
    const whipUrl = `http://127.0.0.1:${p.ports.mediaHttp}/whip/${stream.publicId}`;
    const statuses = new Map<number, number>();
    const deletes = new Map<number, number>();
    // One at a time: while a still-usable mutation is being answered (ICE gathering, up to 2 s), the stream is
    // taken and any other offer is a 409 before its SDP is read.
    await pool(SDP_OFFERS, 1, async (i) => {
      const res = await fetch(whipUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${stream.privateId}`, "content-type": "application/sdp" },
        body: mutate(offer, i),
      });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const body = await res.text();
      if (res.status === 201) {
        // A mutation that is still a usable offer: end the session again.
        const location = new URL(res.headers.get("location") ?? "", whipUrl);
        const deleted = await fetch(location, {
          method: "DELETE",
          headers: { authorization: `Bearer ${stream.privateId}` },
        });
        // 404 only when the session already ended by itself (its ICE failed) between the answer and the DELETE.
        expect([200, 404]).toContain(deleted.status);
        deletes.set(deleted.status, (deletes.get(deleted.status) ?? 0) + 1);
      } else {
        expect(JSON.parse(body).error.code).toBeString();
      }
    });
    console.log(
      `fuzz: SDP statuses ${JSON.stringify(Object.fromEntries(statuses))}, DELETEs ${JSON.stringify(Object.fromEntries(deletes))}`,
    );
    for (const status of statuses.keys()) expect([201, 400, 409, 413, 429]).toContain(status);
    // Sent one at a time, each 201 DELETEd: the stream is free for every offer, so none is a 409 (a session
    // whose ICE failed while its offer was answered once kept the stream taken for good).
    expect(statuses.get(409) ?? 0).toBe(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(SDP_OFFERS / 2);

    const hls = await pool(HLS_PATHS, CONCURRENCY, (i) => rawGet(p.ports.mediaHttp, oddPath(i)));
    const hlsStatuses = new Map<number, number>();
    for (const r of hls) hlsStatuses.set(r.status, (hlsStatuses.get(r.status) ?? 0) + 1);
    console.log(`fuzz: HLS statuses ${JSON.stringify(Object.fromEntries(hlsStatuses))}`);
    for (const r of hls) {
      // An answer (or a connection the server closed on an unparseable request line), never a 5xx or a file outside.
      expect(r.status === 0 || (r.status >= 400 && r.status < 500)).toBe(true);
      expect(r.body).not.toContain("root:");
    }

    // Stalled handshakes were closed by the publish deadline, and /metrics counted them.
    const metrics = await (await fetch(`${p.mediaUrl}/metrics`)).text();
    const timedOut = /hearth_media_connections_refused_total\{limit="rtmp_publish_timeout"\} (\d+)/.exec(
      metrics,
    );
    expect(Number(timedOut?.[1] ?? 0)).toBeGreaterThan(0);
    expect(metrics).toContain("hearth_media_rtmp_connections 0");

    // Still serving: the node's health, and a real publisher goes live with a playlist.
    expect((await fetch(`${p.mediaUrl}/healthz`)).status).toBe(200);
    await until(
      "the fuzzed stream to be offline again",
      30_000,
      async () => !(await lookup(p.managerUrl, stream.publicId)).live,
    );
    const publisher = publish(`rtmp://127.0.0.1:${p.ports.rtmp}/live/${stream.privateId}`, 60);
    try {
      await until(
        "the stream live after the fuzzing",
        60_000,
        async () => (await lookup(p.managerUrl, stream.publicId)).live,
        250,
      );
      const playlist = await until("its source playlist", 30_000, async () => {
        const res = await fetch(`${p.mediaUrl}/hls/${stream.publicId}/source/index.m3u8`);
        return res.status === 200 ? res.text() : undefined;
      });
      expect(playlist).toContain("#EXTINF");
    } finally {
      publisher.kill("SIGKILL");
      await publisher.exited;
    }
    await until(
      "the stream offline",
      30_000,
      async () => !(await lookup(p.managerUrl, stream.publicId)).live,
    );

    const after = rss();
    console.log(
      `fuzz: RSS before ${(before / 2 ** 20).toFixed(0)} MB, after ${(after / 2 ** 20).toFixed(0)} MB`,
    );
    expect(after - before).toBeLessThan(RSS_BOUND_BYTES);
  }, 600_000);
});
