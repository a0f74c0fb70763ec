import { join } from "node:path";
import { type AppStartOptions, createLogger, type RunningApp, runStandalone } from "@hearth/server-kit";
import { createApp } from "./app.ts";
import { parseEnv } from "./env.ts";
import { httpManagerApi } from "./manager-api.ts";
import { buildIslands } from "./runtime/build-islands.ts";
import { contentHash, loadAssets, writeBundle } from "./static-assets.ts";

const STATIC_DIR = join(import.meta.dir, "..", "static");

/** Starts the web tier: bundles the islands, loads static files, serves the pages. */
export async function start(o: AppStartOptions): Promise<RunningApp> {
  const env = parseEnv(o.env);
  const bundle = await buildIslands();
  try {
    writeBundle(STATIC_DIR, bundle);
  } catch (err) {
    // Serving comes from memory; the files on disk are only a convenience for CDN deploys.
    o.logger.warn("could not write static/islands", { err: String(err) });
  }
  const assets = loadAssets(STATIC_DIR, bundle);
  const css = assets.get("/static/app.css");
  const app = createApp({
    manager: httpManagerApi({
      baseUrl: env.MANAGER_SSR_URL ?? env.MANAGER_URL,
      timeoutMs: env.MANAGER_TIMEOUT_MS,
    }),
    managerUrl: env.MANAGER_URL.replace(/\/$/, ""),
    streamCreation: env.STREAM_CREATION,
    logger: o.logger,
    assets,
    pageAssets: {
      entries: bundle.entries,
      scriptsFor: bundle.scriptsFor,
      css: `/static/app.css?v=${css ? contentHash(css.body) : "0"}`,
    },
  });
  const server = Bun.serve({ port: env.WEB_PORT, hostname: env.BIND_HOST, fetch: app.fetch });
  return {
    name: "web",
    urls: {
      Directory: `http://localhost:${server.port}/`,
      "Go live": `http://localhost:${server.port}/broadcast`,
    },
    async stop() {
      await server.stop(true);
    },
  };
}

// The web tier holds no state: on an unexpected rejection it exits for its supervisor to start a clean one.
if (import.meta.main)
  await runStandalone(
    start,
    { env: process.env, logger: createLogger({ svc: "web" }) },
    { uncaughtException: "exit", unhandledRejection: "exit" },
  );
