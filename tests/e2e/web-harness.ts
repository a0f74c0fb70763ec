/**
 * The whole platform for the web e2e suites (support/in-process-platform.ts: the four apps in this process on
 * free ports, every log line kept so a suite can check no stream key was ever logged), plus the web suites'
 * usual scene: the platform, a Chromium, and the synthetic publishers a test starts, all undone by one stop().
 */
import { StartedStream } from "@hearth/contracts";
import { type Browser, launchChromium } from "./support/chromium.ts";
import { NO_CREATION_LIMITS } from "./support/creation-limits.ts";
import { startAppsInProcess } from "./support/in-process-platform.ts";
import { publishSynthetic, type SyntheticSource } from "./support/synthetic-source.ts";
import { PAGE_POLL_MS, type Probe, until as pollUntil } from "./support/until.ts";

export interface WebPlatform {
  webUrl: string;
  managerUrl: string;
  mediaUrl: string;
  /** The chat node's HTTP side (/metrics, /healthz). */
  chatUrl: string;
  /** Log lines of every app, by app name. */
  logs: Record<string, string[]>;
  stop(): Promise<void>;
}

/** Starts the four apps (manager first, web last, like the launcher); stop() undoes all of it. `env` adds to every app's. */
export async function startWebPlatform(env: Record<string, string> = {}): Promise<WebPlatform> {
  const apps = await startAppsInProcess({
    label: "web-e2e",
    env: () => ({
      ...NO_CREATION_LIMITS,
      // The pages are tested, not real-time degradation (tests/e2e/media-capacity*), which would cut rungs under load.
      MEDIA_DEGRADE: "false",
      ...env,
    }),
  });
  const p = apps.ports;
  return {
    webUrl: `http://127.0.0.1:${p.web}`,
    managerUrl: `http://127.0.0.1:${p.manager}`,
    mediaUrl: `http://127.0.0.1:${p.media}`,
    chatUrl: `http://127.0.0.1:${p.chat}`,
    logs: apps.logs,
    stop: apps.stop,
  };
}

/** The platform, a Chromium and the publishers a test started: what most web suites set up before their tests. */
export interface WebScene {
  platform: WebPlatform;
  browser: Browser;
  /** Creates a stream through the manager's public API (JSON body, as the broadcast page sends it). */
  createStream(name: string, creationToken?: string): Promise<StartedStream>;
  /** Publishes a synthetic source to `stream` over RTMP; stop() SIGKILLs it if the test did not. */
  publish(stream: StartedStream, source: SyntheticSource): Bun.Subprocess;
  /** Kills the publishers, closes Chromium, stops the platform. */
  stop(): Promise<void>;
}

/** Starts {@link startWebPlatform} with `env` and a Chromium. */
export async function startWebScene(env: Record<string, string> = {}): Promise<WebScene> {
  const platform = await startWebPlatform(env);
  const publishers: Bun.Subprocess[] = [];
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await platform.stop();
    throw err;
  }
  return {
    platform,
    browser,
    async createStream(name, creationToken) {
      const res = await fetch(`${platform.managerUrl}/start_stream`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, creationToken }),
      });
      if (res.status !== 201) throw new Error(`start_stream answered ${res.status}: ${await res.text()}`);
      return StartedStream.parse(await res.json());
    },
    publish(stream, source) {
      const p = publishSynthetic(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, source, "ignore");
      publishers.push(p);
      return p;
    },
    async stop() {
      for (const p of publishers) p.kill("SIGKILL");
      await Promise.all(publishers.map((p) => p.exited));
      await browser.close().catch(() => {});
      await platform.stop();
    },
  };
}

/** {@link pollUntil} at the web suites' pace: most of their probes are round trips into Chromium. */
export function until<T>(
  what: string,
  timeoutMs: number,
  probe: Probe<T>,
  everyMs = PAGE_POLL_MS,
): Promise<T> {
  return pollUntil(what, timeoutMs, probe, everyMs);
}
