/**
 * Manager settings for suites that create many streams from one address (127.0.0.1): the public defaults
 * (10 creations an hour, burst 3, 5 open streams per address) would refuse them. The limits themselves are tested
 * in apps/manager/src/creation-policy.test.ts.
 */
export const NO_CREATION_LIMITS = {
  CREATE_RATE_PER_HOUR: "1000000",
  CREATE_BURST: "100000",
  MAX_OPEN_STREAMS_PER_IP: "100000",
  MAX_OPEN_STREAMS: "100000",
} as const;
