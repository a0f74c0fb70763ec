/**
 * The server side of the WHIP benchmark, in its own process so its CPU can be read from /proc:
 *   bun bench/whip/server.ts ingest <streams>        WHIP ingest only; stream i (key bench-key-i) is
 *                                                    read by an ffmpeg with the transcoder's RTP input
 *                                                    flags that copies to null (the ingest's share)
 *   bun bench/whip/server.ts platform <streams>      manager + chat + media node (ladder) in this
 *                                                    process, WHIP wired to the node's pipeline
 * Prints one line `READY <json>` when it listens; stops on SIGTERM.
 */
import { internalClient } from "@hearth/server-kit";
import { managerKeyVerifier } from "../../apps/media/src/key-verifier.ts";
import { buildTranscodeArgs } from "../../apps/media/src/transcode-args.ts";
import { createWhipIngest, managerStreamExists, type WhipDeps } from "../../apps/media/src/whip/index.ts";
import { createLogger } from "../../packages/server-kit/src/index.ts";
import { createStream, startPlatform, TOKEN } from "../../tests/e2e/media-harness.ts";
import { serveWhip } from "../../tests/e2e/support/serve-whip.ts";

const [mode, arg = ""] = process.argv.slice(2);
const logger = createLogger({ svc: "whip-bench" }, { silent: process.env.WHIP_BENCH_LOG !== "1" });
const common: Pick<WhipDeps, "logger"> = { logger };
let stopPlatform = async () => {};
let ready: Record<string, unknown>;
let deps: WhipDeps;

if (mode === "ingest") {
  const count = Number(arg || 1);
  const streams = Array.from({ length: count }, (_, i) => ({
    publicId: `benchStream${i}`,
    key: `bench-key-${i}`,
  }));
  const readers = new Map<string, Bun.Subprocess>();
  deps = {
    ...common,
    verifyKey: async (key) => streams.find((s) => s.key === key)?.publicId ?? null,
    streamExists: async (id) => streams.some((s) => s.publicId === id),
    isLive: () => false,
    pipeline: {
      async publishStarted(publicId, feed) {
        // The transcoder's own input flags (everything before the ladder), then copy to nowhere.
        const all = buildTranscodeArgs({
          input: feed.input,
          rungs: [],
          segmentSeconds: 1,
          partSeconds: 0.2,
          frameRate: 30,
          preset: "veryfast",
        });
        const input = all.slice(0, all.lastIndexOf("-i") + 2);
        readers.set(
          publicId,
          Bun.spawn(["ffmpeg", ...input, "-map", "0", "-c", "copy", "-f", "null", "-"], {
            stdin: "ignore",
            stdout: "ignore",
            stderr: "ignore",
          }),
        );
        return true;
      },
      async publishStopped(publicId) {
        readers.get(publicId)?.kill("SIGKILL");
        readers.delete(publicId);
      },
    },
  };
  ready = { streams };
} else if (mode === "platform") {
  const p = await startPlatform({ X264_PRESET: "veryfast" });
  const manager = internalClient({ service: "manager", baseUrl: p.managerUrl, token: TOKEN });
  const verifier = managerKeyVerifier(manager);
  deps = {
    ...common,
    verifyKey: (key) => verifier.verify(key),
    streamExists: managerStreamExists(manager),
    isLive: (id) => p.media.registry.isLive(id),
    pipeline: p.media.registry,
  };
  const streams = [];
  for (let i = 0; i < Number(arg || 1); i++) {
    const s = await createStream(p.managerUrl, `whip bench ${i}`);
    streams.push({ publicId: s.publicId, key: s.privateId });
  }
  ready = { streams, mediaUrl: p.mediaUrl };
  stopPlatform = () => p.stop();
} else {
  throw new Error("usage: server.ts ingest <streams> | platform <streams>");
}

const ingest = createWhipIngest(deps);
const http = serveWhip(ingest);
console.log(`READY ${JSON.stringify({ ...ready, whipUrl: http.url, pid: process.pid })}`);

let stopping = false;
process.on("SIGTERM", async () => {
  if (stopping) return;
  stopping = true;
  await ingest.stop();
  http.stop();
  await stopPlatform();
  process.exit(0);
});
