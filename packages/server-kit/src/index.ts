export { type AppStartOptions, type RunningApp, runStandalone } from "./app-process.ts";
export { errorHandler, errorResponse, notFoundHandler } from "./error-handler.ts";
export { HttpError } from "./http-error.ts";
export {
  type BearerGuardOptions,
  bearerGuard,
  bearerToken,
  internalAuth,
  safeEqual,
} from "./internal-auth.ts";
export {
  type InternalClient,
  type InternalClientOptions,
  internalClient,
  UpstreamError,
} from "./internal-client.ts";
export { createLogger, type Logger, type LoggerOptions, redactText } from "./logger.ts";
export { AppMetrics, httpMetrics, LATENCY_BUCKETS } from "./metrics.ts";
export { type CrashPolicy, installCrashHandlers } from "./process-guard.ts";
export { randomLowerAlnumId } from "./random-id.ts";
export { requestId } from "./request-id.ts";
