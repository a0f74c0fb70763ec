/**
 * A process-level secret scan. The real manager and chat (in this process, every log line captured) and a
 * media node as its own process (stdout + stderr captured: its JSON lines and anything node-media-server or a
 * child prints). While one stream is live over RTMP (a real ffmpeg publisher) and one over WHIP (a werift
 * publisher fed by ffmpeg), and a chat client has reconnected with its identity: no /proc/<pid>/cmdline on the
 * machine and no captured log line carries a stream key, the internal token or the chat identity.
 * Exclusion: the RTMP publisher stands in for OBS on the streamer's machine, and ffmpeg's RTMP client takes
 * its URL (with the key) on its command line; it is skipped by its pid. Not covered: the nginx edge's access
 * log (no CDN in this test).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  chatSubprotocols,
  type StartedStream,
  StartedStream as StartedStreamSchema,
  StreamLookup,
} from "@hearth/contracts";
import { capturingLogger } from "./support/capturing-logger.ts";
import { type MediaNodeProcess, publishLight } from "./support/media-node-process.ts";
import { alive, descendants } from "./support/processes.ts";
import { type SpawnedNodePlatform, startSpawnedNodePlatform } from "./support/spawned-node-platform.ts";
import { until } from "./support/until.ts";

const TOKEN = `scan-${randomBytes(16).toString("hex")}`;
const CLIP = join(tmpdir(), "hearth-secret-scan-360p.ts");
const PUBLISHER = join(import.meta.dir, "..", "..", "bench", "whip", "publisher.ts");

let platform: SpawnedNodePlatform;
let node: MediaNodeProcess;
let managerUrl = "";
let chatPort = 0;
const logLines: string[] = [];
const children: Bun.Subprocess[] = [];
let rtmpStream: StartedStream;
let whipStream: StartedStream;
let identity = "";
let rtmpPublisherPid = 0;

async function startStream(name: string): Promise<StartedStream> {
  const res = await fetch(`${managerUrl}/start_stream?name=${encodeURIComponent(name)}`, { method: "POST" });
  expect(res.status).toBe(201);
  return StartedStreamSchema.parse(await res.json());
}

async function live(publicId: string): Promise<boolean> {
  const res = await fetch(`${managerUrl}/stream/${publicId}`);
  return res.status === 200 && StreamLookup.parse(await res.json()).live;
}

/** Opens a chat socket and resolves with the first frame (the `hello` with our identity). */
function chatHello(
  url: string,
  identity: string | null,
): Promise<{ ws: WebSocket; hello: { you: { identity: string } } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, chatSubprotocols(identity));
    const timer = setTimeout(() => reject(new Error("no hello frame")), 10_000);
    ws.onmessage = (e) => {
      clearTimeout(timer);
      resolve({ ws, hello: JSON.parse(String(e.data)) });
    };
    ws.onerror = () => reject(new Error("chat socket failed"));
  });
}

function ensureClip(): void {
  if (existsSync(CLIP)) return;
  const r = Bun.spawnSync(
    [
      ...["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"],
      ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440"],
      ...["-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-g", "30"],
      ...["-pix_fmt", "yuv420p", "-c:a", "libopus", "-ar", "48000", "-ac", "2", CLIP],
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`clip: ${new TextDecoder().decode(r.stderr)}`);
}

beforeAll(async () => {
  ensureClip();
  platform = await startSpawnedNodePlatform({
    nodeId: "scan-1",
    token: TOKEN,
    logger: capturingLogger(logLines),
    dbMax: 4,
  });
  ({ node, managerUrl, chatPort } = platform);
  rtmpStream = await startStream("scan rtmp");
  whipStream = await startStream("scan whip");

  const rtmp = publishLight(`${node.rtmpServer}/${rtmpStream.privateId}`, 120);
  rtmpPublisherPid = rtmp.pid;
  children.push(rtmp);
  // The key travels in the environment, not on the command line.
  const whip = Bun.spawn(
    ["bun", PUBLISHER, `http://127.0.0.1:${node.httpPort}/whip/${whipStream.publicId}`, "-", CLIP],
    {
      env: { ...process.env, WHIP_KEY: whipStream.privateId },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    },
  );
  children.push(whip);

  // A chat client gets an identity, then reconnects with it as the web client does (a subprotocol value).
  const room = `ws://127.0.0.1:${chatPort}/rooms/${rtmpStream.publicId}`;
  const first = await chatHello(room, null);
  identity = first.hello.you.identity;
  first.ws.close();
  const again = await chatHello(room, identity);
  // The identity was accepted: the same user came back.
  expect(again.hello.you.identity).toBe(identity);
  again.ws.send(JSON.stringify({ v: 1, type: "send", text: "hello from the scan" }));
  await Bun.sleep(500);
  again.ws.close();

  try {
    await until(
      "both streams live",
      90_000,
      async () => (await live(rtmpStream.publicId)) && (await live(whipStream.publicId)),
      250,
    );
  } catch (err) {
    const state = `rtmp live ${await live(rtmpStream.publicId)}, whip live ${await live(whipStream.publicId)}`;
    throw new Error(`${(err as Error).message} (${state})\n${node.log().slice(-3000)}`);
  }
}, 150_000);

afterAll(async () => {
  for (const c of children) {
    // The WHIP publisher's own ffmpeg must not outlive it, however it ends.
    const grandchildren = descendants(c.pid);
    c.kill("SIGTERM");
    const done = await Promise.race([c.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!done) c.kill("SIGKILL");
    for (const pid of grandchildren) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  await platform?.stop();
});

function secrets(): [string, string][] {
  return [
    ["RTMP stream key", rtmpStream.privateId],
    ["WHIP stream key", whipStream.privateId],
    ["internal token", TOKEN],
    ["chat identity", identity],
  ];
}

describe("secret scan while an RTMP and a WHIP stream are live", () => {
  test("no command line of any process on the machine carries a secret", () => {
    const leaks: string[] = [];
    let scanned = 0;
    let transcoders = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === rtmpPublisherPid) continue;
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        continue; // exited meanwhile
      }
      scanned++;
      if (cmd.startsWith("ffmpeg") && cmd.includes("pipe:3")) transcoders++;
      for (const [what, value] of secrets()) if (cmd.includes(value)) leaks.push(`pid ${entry}: ${what}`);
    }
    expect(identity.length).toBeGreaterThan(20);
    expect(scanned).toBeGreaterThan(10);
    // Both streams' transcoders were running while scanned: the scan saw the processes that matter.
    expect(transcoders).toBeGreaterThanOrEqual(2);
    expect(leaks).toEqual([]);
  });

  test("no log line of the manager, chat or the media node process carries a secret", () => {
    const nodeLog = node.log();
    // The node did log (its live streams), so an empty capture cannot pass for a clean one.
    expect(nodeLog).toContain(rtmpStream.publicId);
    expect(nodeLog).toContain(whipStream.publicId);
    expect(logLines.length).toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const [source, text] of [
      ["media node stdout/stderr", nodeLog],
      ["manager + chat", logLines.join("\n")],
    ] as const)
      for (const [what, value] of secrets()) if (text.includes(value)) leaks.push(`${source}: ${what}`);
    expect(leaks).toEqual([]);
  });
});
