/**
 * A minimal app run by `runStandalone`, for the crash-safety test: GET /reject leaves a promise rejection
 * unhandled, GET /throw throws from a timer, GET /healthz answers. Argument: the rejection policy.
 */
import { createLogger, runStandalone } from "@hearth/server-kit";

const policy = process.argv[2] === "exit" ? "exit" : "log";
await runStandalone(
  async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/reject") void Promise.reject(new Error("a bug nobody awaited"));
        if (path === "/throw") setTimeout(() => JSON.parse("{not json"), 0);
        return new Response("ok");
      },
    });
    process.stdout.write(`port ${server.port}\n`);
    return {
      name: "fixture",
      urls: { http: server.url.href },
      async stop() {
        process.stderr.write("fixture stopped cleanly\n");
        await server.stop(true);
      },
    };
  },
  { env: {}, logger: createLogger({ svc: "fixture" }) },
  { uncaughtException: "exit", unhandledRejection: policy },
);
