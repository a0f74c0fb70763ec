/**
 * The process under test for bench/api: the real manager on Postgres or PGlite with 100 streams seeded
 * (bench/support/bench-manager.ts). Args: `postgres|pglite <DIRECTORY_CACHE_MS>`.
 */
import { serveBenchManager } from "../support/bench-manager.ts";

await serveBenchManager({
  database: process.argv[2] === "pglite" ? "pglite" : "postgres",
  env: {
    DIRECTORY_CACHE_MS: process.argv[3] ?? "500",
    // This bench measures what a creation costs, not the abuse limits (bench/abuse does): lift them.
    CREATE_RATE_PER_HOUR: "1000000000",
    CREATE_BURST: "1000000000",
    MAX_OPEN_STREAMS_PER_IP: "1000000000",
    MAX_OPEN_STREAMS: "1000000000",
  },
});
