import type { AdminOverview, StreamCreationPolicy } from "@hearth/contracts";
import { type Database, streams } from "@hearth/db";
import { type AppMetrics, bearerToken, HttpError, type Logger } from "@hearth/server-kit";
import { and, count, eq, isNull } from "drizzle-orm";
import type { Context } from "hono";
import { adminOverview } from "./admin-overview.ts";
import { type AdminTokenCheck, checkAdminToken } from "./admin-token.ts";
import { limitKey, requestClientAddress, type TrustedProxies, trustedProxies } from "./client-ip.ts";
import { boundedCounts } from "./count-bounds.ts";
import { type CreationTokenStore, creationTokenStore, tokenRefusalMessage } from "./creation-tokens.ts";
import { withDb } from "./db-errors.ts";
import { type Clock, type TokenBuckets, tokenBuckets } from "./rate-limit.ts";
import type { CreationGuard } from "./stream-routes.ts";
import type { ViewerCounts } from "./viewer-counts.ts";

/** How many streams exist and are not ended: in all, and created from one client key. */
export interface OpenStreamCounts {
  total(): Promise<number>;
  byCreator(key: string): Promise<number>;
}

/** The counts from the streams table (`creator_ip` holds the client's limit key). */
export function openStreamCounts(db: Database): OpenStreamCounts {
  const open = async (where: ReturnType<typeof isNull>) => {
    const [row] = await withDb(() => db.select({ n: count() }).from(streams).where(where));
    return row?.n ?? 0;
  };
  return {
    total: () => open(isNull(streams.endedAt)),
    byCreator: (key) =>
      open(and(eq(streams.creatorIp, key), isNull(streams.endedAt)) ?? isNull(streams.endedAt)),
  };
}

/** Everything that decides whether a stream may be created (built by main.ts and the test harness). */
export interface CreationSafety extends AdminTokenCheck {
  policy: StreamCreationPolicy;
  tokens: CreationTokenStore;
  counts: OpenStreamCounts;
  /** Per client key, on every POST /start_stream that is not the admin's. */
  buckets: TokenBuckets;
  /** Streams created and not ended, per client key. */
  maxOpenPerClient: number;
  /** Streams existing and not ended on the whole instance (the admin's included). */
  maxOpen: number;
  trustedProxies: TrustedProxies;
  clock: Clock;
}

/** The state behind running in public: what creationGuard checks, and the admin API's sources (admin-routes.ts). */
export interface ManagerSafety extends CreationSafety {
  overview(): Promise<AdminOverview>;
}

export interface SafetyOptions {
  policy: StreamCreationPolicy;
  adminToken: string | undefined;
  ratePerHour: number;
  burst: number;
  maxOpenPerClient: number;
  maxOpen: number;
  /** TRUSTED_PROXIES as configured (throws on a bad entry). */
  trustedProxies: string;
  nodeTimeoutMs: number;
  viewers: ViewerCounts;
  clock: Clock;
}

/** Builds the creation gate's state and the admin sources over a database (main.ts, tests). */
export function managerSafety(db: Database, o: SafetyOptions): ManagerSafety {
  return {
    policy: o.policy,
    adminToken: o.adminToken,
    tokens: creationTokenStore(db, o.clock),
    counts: openStreamCounts(db),
    buckets: tokenBuckets({ burst: o.burst, perHour: o.ratePerHour, clock: o.clock }),
    maxOpenPerClient: o.maxOpenPerClient,
    maxOpen: o.maxOpen,
    trustedProxies: trustedProxies(o.trustedProxies),
    adminFailures: tokenBuckets({ burst: 10, perHour: 60, clock: o.clock }),
    clock: o.clock,
    overview: () =>
      adminOverview({
        db,
        viewers: o.viewers,
        clock: o.clock,
        policy: o.policy,
        nodeTimeoutMs: o.nodeTimeoutMs,
      }),
  };
}

// The cap check and its reservation are serialised in this process, so parallel creations cannot all see
// "one below the cap"; a reservation lasts until the stream row exists (or the creation failed).
function reservations() {
  let chain: Promise<unknown> = Promise.resolve();
  let total = 0;
  const byKey = new Map<string, number>();
  return {
    /** Runs `check` with the in-flight counts, alone; reserves a slot when it returns without throwing. */
    async reserve(key: string | null, check: (pendingTotal: number, pendingKey: number) => Promise<void>) {
      const run = chain.then(async () => {
        await check(total, key === null ? 0 : (byKey.get(key) ?? 0));
        total++;
        if (key !== null) byKey.set(key, (byKey.get(key) ?? 0) + 1);
      });
      chain = run.catch(() => {});
      await run;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        if (key === null) return;
        const n = (byKey.get(key) ?? 1) - 1;
        if (n <= 0) byKey.delete(key);
        else byKey.set(key, n);
      };
    },
  };
}

/**
 * Where the creation token may come from: the X-Creation-Token header or the body (JSON or form, parsed by the
 * route), never the URL (proxies log URLs).
 */
function creationTokenOf(c: Context, fromBody: string | undefined): string | undefined {
  if (c.req.query("creationToken") !== undefined || c.req.query("creation_token") !== undefined)
    throw new HttpError(
      400,
      "creation_token_in_url",
      "send the creation token in the JSON body (creationToken) or the X-Creation-Token header, never in the URL",
    );
  const header = c.req.header("x-creation-token")?.trim();
  if (header) return header.length <= 200 ? header : undefined;
  return fromBody !== undefined && fromBody.length > 0 ? fromBody : undefined;
}

/**
 * The start_stream route's CreationGuard: who may create (STREAM_CREATION, the admin bearer), the per-client
 * token bucket, the per-client and instance-wide caps on open streams, and the creation token's use. A use or a
 * reservation taken by a creation that then fails is given back when the route settles the admission.
 */
export function creationGuard(s: CreationSafety, logger: Logger, metrics: AppMetrics): CreationGuard {
  const slots = reservations();
  const bound = boundedCounts(s.counts, s.clock);
  const refusals = metrics.counter(
    "manager_stream_creation_refusals_total",
    "POST /start_stream refused by the creation policy or an abuse limit, by reason.",
    ["reason"],
  );
  // Said once a minute per (reason, client) at most: a flood must not become a flood of log lines.
  const said = new Map<string, number>();
  const refuseFor =
    (c: Context, client: string) =>
    (reason: string, err: HttpError): never => {
      refusals.inc({ reason });
      const now = s.clock();
      const k = `${reason}|${client}`;
      if ((said.get(k) ?? 0) < now - 60_000) {
        if (said.size > 10_000) said.clear();
        said.set(k, now);
        logger.info("stream creation refused", { reason, client, requestId: c.get("requestId" as never) });
      }
      throw err;
    };

  return async function guardCreation(c, request) {
    const client = limitKey(requestClientAddress(c, s.trustedProxies));
    const refuse = refuseFor(c, client);
    const bearer = bearerToken(c.req.header("authorization"));
    let admin = false;
    if (bearer !== undefined) {
      try {
        checkAdminToken(s, client, bearer);
      } catch (err) {
        refuse((err as HttpError).code, err as HttpError);
      }
      admin = true;
    }
    const key = admin ? null : client;

    if (!admin && s.policy === "closed")
      refuse(
        "closed",
        new HttpError(403, "creation_closed", "stream creation is closed on this instance; ask its operator"),
      );
    const token = !admin && s.policy === "token" ? creationTokenOf(c, request.creationToken) : undefined;
    if (!admin && s.policy === "token" && token === undefined)
      refuse(
        "token_required",
        new HttpError(
          401,
          "creation_token_required",
          "this instance needs an invite: send the creation token the operator gave you (JSON creationToken)",
        ),
      );
    if (key !== null) {
      const took = s.buckets.take(key);
      if (!took.ok)
        refuse(
          "rate_limited",
          new HttpError(429, "rate_limited", "too many streams created from your address; try again later", {
            "Retry-After": String(took.retryAfterSeconds),
          }),
        );
    }
    const release = await slots.reserve(key, async (pendingTotal, pendingKey) => {
      if ((await bound.total(pendingTotal, s.maxOpen)) + pendingTotal >= s.maxOpen)
        refuse(
          "instance_cap",
          new HttpError(
            429,
            "too_many_streams",
            "this instance has as many streams as it allows; try again later",
            { "Retry-After": "60" },
          ),
        );
      if (
        key !== null &&
        (await bound.byCreator(key, pendingKey, s.maxOpenPerClient)) + pendingKey >= s.maxOpenPerClient
      )
        refuse(
          "client_cap",
          new HttpError(
            429,
            "too_many_open_streams",
            `your address already has ${s.maxOpenPerClient} streams that have not ended; stop one first`,
            { "Retry-After": "60" },
          ),
        );
    });

    let spent: string | undefined;
    try {
      if (token !== undefined) {
        const r = await s.tokens.consume(token);
        if (!r.ok)
          refuse(`token_${r.why}`, new HttpError(403, "creation_token_invalid", tokenRefusalMessage(r.why)));
        else spent = r.id;
      }
    } catch (err) {
      release();
      throw err;
    }
    return {
      creatorIp: key,
      async settle(created) {
        // The row exists (it counts from now on) or nothing was made: the reservation ends either way.
        if (created) bound.created(key);
        release();
        if (created || spent === undefined) return;
        await s.tokens.refund(spent).catch((err) =>
          logger.warn("creation token use not given back", {
            requestId: c.get("requestId" as never),
            err: (err as Error).message,
          }),
        );
      },
    };
  };
}
