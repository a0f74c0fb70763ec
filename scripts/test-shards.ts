/**
 * Splits the test files into shards that `scripts/test.sh` runs as parallel `bun test` processes. Most of the
 * suite's time is e2e files waiting on real-time media (a 20 s recording takes 20 s whatever the CPU), so two
 * processes on two cores take about half the time of one. Files are dealt longest first to the shard with the
 * least work (LPT); a file's weight is its measured time, 1 s for files not in the table (new or short ones).
 *
 * Prints one line per shard: its files, space-separated. Usage: bun scripts/test-shards.ts <shards>
 */
import { Glob } from "bun";

/** Seconds per file, measured by a whole-suite run with `--reporter=junit` (2026-11-29, 2 cores). */
const MEASURED: Record<string, number> = {
  "tests/e2e/media-fuzz.test.ts": 82,
  "tests/e2e/recording-vod.test.ts": 75,
  "tests/e2e/recording-live.test.ts": 71,
  "tests/e2e/media-recording.test.ts": 70,
  "tests/e2e/cdn-watch.test.ts": 63,
  "tests/e2e/web-videos.test.ts": 51,
  "tests/e2e/media-reconnect.test.ts": 34,
  "tests/e2e/media-capacity.test.ts": 31,
  "tests/e2e/llhls-chromium.test.ts": 28,
  "tests/e2e/whip-reconnect.test.ts": 26,
  "tests/e2e/whip-platform.test.ts": 23,
  "tests/e2e/web-reconnect.test.ts": 18,
  "tests/e2e/media-rtmp.test.ts": 18,
  "tests/e2e/web-pages.test.ts": 17,
  "tests/e2e/llhls-edge.test.ts": 17,
  "tests/e2e/media-capacity-player.test.ts": 16,
  "tests/e2e/llhls-packager.test.ts": 13,
  "tests/e2e/web-watch.test.ts": 12,
  "tests/e2e/whip-relay.test.ts": 11,
  "tests/e2e/platform-start.test.ts": 11,
  "tests/e2e/cdn-scaleout.test.ts": 10,
  "tests/e2e/cdn-media.test.ts": 9,
  "apps/chat/src/app.test.ts": 8,
  "tests/e2e/secret-scan.test.ts": 6,
  "tests/e2e/support/processes.test.ts": 5,
  "tests/e2e/web-admin.test.ts": 5,
};

const shards = Number(process.argv[2] ?? 2);
if (!Number.isInteger(shards) || shards < 1)
  throw new Error(`shards must be a positive integer, got ${process.argv[2]}`);

const files: string[] = [];
for await (const f of new Glob("{apps,packages,tests,scripts}/**/*.test.{ts,tsx}").scan({
  cwd: process.cwd(),
}))
  if (!f.includes("node_modules/")) files.push(f);
files.sort((a, b) => (MEASURED[b] ?? 1) - (MEASURED[a] ?? 1) || a.localeCompare(b));

const bins = Array.from({ length: shards }, () => ({ load: 0, files: [] as string[] }));
for (const f of files) {
  const bin = bins.reduce((min, b) => (b.load < min.load ? b : min));
  bin.files.push(`./${f}`);
  bin.load += MEASURED[f] ?? 1;
}
for (const b of bins) console.log(b.files.join(" "));
