import { createLogger } from "@hearth/server-kit";
import { DEFAULT_LADDER } from "../src/env.ts";
import { LlhlsRegistry } from "../src/llhls/llhls-stream.ts";
import { type RegistryConfig, StreamRegistry } from "../src/stream-registry.ts";
import { fakeTranscoders } from "./fake-transcoders.ts";
import { manualTimers } from "./manual-timers.ts";

/**
 * The node's real StreamRegistry (admission, sessions, state machine, packagers) as a test drives it: ffmpeg-less
 * transcoders, manual timers, 1 s segments of 0.2 s parts, a silent logger and a reporter that drops reports;
 * `config` adds to that or replaces it.
 */
export function testRegistry(config: Pick<RegistryConfig, "hlsDir"> & Partial<RegistryConfig>) {
  const transcoders = fakeTranscoders();
  const clock = manualTimers();
  const registry = new StreamRegistry({
    llhls: new LlhlsRegistry(),
    ladder: DEFAULT_LADDER,
    segmentSeconds: 1,
    partSeconds: 0.2,
    listSize: 6,
    preset: "ultrafast",
    ffmpegPath: "ffmpeg",
    logger: createLogger({}, { silent: true }),
    reporter: { report: async () => {} },
    nodeId: "node-a",
    retentionSeconds: 60,
    reconnectGraceSeconds: 10,
    timers: clock.timers,
    transcoder: transcoders.make,
    ...config,
  });
  return { registry, transcoders, clock };
}
