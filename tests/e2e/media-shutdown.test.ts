/**
 * SIGTERM to a media node process while it transcodes a live stream: the process exits cleanly and
 * not one ffmpeg it spawned is left running.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createStream,
  lookup,
  type Platform,
  publish,
  reap,
  startPlatform,
  TOKEN,
  until,
} from "./media-harness.ts";
import { freePort } from "./support/ports.ts";
import { alive, cmdline, descendants } from "./support/processes.ts";

const ROOT = join(import.meta.dir, "..", "..");
let p: Platform;
const dataDir = mkdtempSync(join(tmpdir(), "hearth-media-node-"));

beforeAll(async () => {
  p = await startPlatform();
}, 30_000);
afterAll(async () => {
  await p?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("a registered media node takes the stream; SIGTERM to it leaves no ffmpeg process behind", async () => {
  const ports = { http: freePort(), rtmp: freePort() };
  const node = Bun.spawn(["bun", join(ROOT, "apps", "media", "src", "main.ts")], {
    env: {
      ...(process.env as Record<string, string>),
      INTERNAL_TOKEN: TOKEN,
      BIND_HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      MEDIA_HTTP_PORT: String(ports.http),
      RTMP_PORT: String(ports.rtmp),
      MANAGER_INTERNAL_URL: p.managerUrl,
      X264_PRESET: "ultrafast",
      // Scale-out registration: once a node heart-beats, the manager places new streams on registered nodes.
      MEDIA_NODE_ID: "media-e2e",
      MEDIA_NODE_INTERNAL_URL: `http://127.0.0.1:${ports.http}`,
      PUBLIC_HLS_BASE: `http://127.0.0.1:${ports.http}/hls`,
      PUBLIC_RTMP_BASE: `rtmp://127.0.0.1:${ports.rtmp}/live`,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  void (async () => {
    for await (const c of node.stderr) output += new TextDecoder().decode(c);
  })();
  await until("media node up", 15_000, async () =>
    fetch(`http://127.0.0.1:${ports.http}/healthz`).then(
      (r) => r.ok,
      () => false,
    ),
  );
  await Bun.sleep(500); // its first heartbeat is sent at start
  const stream = await createStream(p.managerUrl, "shutdown");
  expect(stream.hlsUrl).toBe(`http://127.0.0.1:${ports.http}/hls/${stream.publicId}/master.m3u8`);
  expect(stream.rtmp.server).toBe(`rtmp://127.0.0.1:${ports.rtmp}/live`);
  const pub = publish(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 60);
  try {
    await until("live", 20_000, async () => (await lookup(p.managerUrl, stream.publicId)).live);
    const ffmpegs = await until("an ffmpeg child", 10_000, () => {
      const kids = descendants(node.pid).filter((pid) => cmdline(pid).includes("ffmpeg"));
      return kids.length > 0 ? kids : undefined;
    });
    const all = descendants(node.pid);
    node.kill("SIGTERM");
    expect(await reap(node, 15_000)).toBe(0);
    const left = [...new Set([...ffmpegs, ...all])].filter(alive);
    expect(left.map((pid) => `${pid} ${cmdline(pid)}`)).toEqual([]);
    expect(output).toContain("media stopping");
    expect(output).not.toContain(stream.privateId);
    // The manager was told: the stream is offline.
    await until("offline", 10_000, async () => !(await lookup(p.managerUrl, stream.publicId)).live);
  } finally {
    pub.kill("SIGKILL");
    await reap(pub);
    if (node.exitCode === null) node.kill("SIGKILL");
  }
}, 90_000);
