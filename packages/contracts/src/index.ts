export * from "./admin.ts";
export * from "./chat.ts";
export * from "./error.ts";
export * from "./internal.ts";
export * from "./media.ts";
export * from "./public-urls.ts";
export * from "./recordings.ts";
export * from "./streams.ts";
