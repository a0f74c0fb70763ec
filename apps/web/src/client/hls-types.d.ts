// hls.js ships no types for its light build; it has the same API as the full one.
declare module "hls.js/dist/hls.light.min.mjs" {
  export * from "hls.js";
  export { default } from "hls.js";
}
