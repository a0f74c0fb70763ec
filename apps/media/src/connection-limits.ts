import type { Logger } from "@hearth/server-kit";

/**
 * The media node's connection limits: what one address (or everybody together) may hold open before the
 * node refuses more. RTMP: connections per IP, connections still in their handshake (connected, not yet
 * publishing) node-wide, and how long such a connection may take to publish. WHIP: offers being answered
 * per IP and node-wide. Each refusal is counted (for /metrics) and logged, at most once per kind every
 * 10 s with the number suppressed, so a flood cannot turn into a flood of log lines.
 */
export interface ConnectionLimitsConfig {
  rtmpPerIp: number;
  rtmpHandshakes: number;
  /** A connection that has not published after this long is closed. */
  rtmpPublishTimeoutMs: number;
  whipSetupsPerIp: number;
  whipSetups: number;
}

export type RefusalKind =
  | "rtmp_per_ip"
  | "rtmp_handshakes"
  | "rtmp_publish_timeout"
  | "whip_setups_per_ip"
  | "whip_setups";

/** One admitted RTMP connection: tell it when it publishes, release it when it closes. */
export interface RtmpTicket {
  published(): void;
  release(): void;
}

/** The WHIP answer to a refused setup: status, Retry-After seconds and a message a person can act on. */
export interface WhipRefusal {
  status: 429 | 503;
  retryAfterSeconds: number;
  message: string;
}

const LOG_EVERY_MS = 10_000;

export class ConnectionLimits {
  private readonly rtmpByIp = new Map<string, number>();
  private rtmpHandshaking = 0;
  private readonly whipByIp = new Map<string, number>();
  private whipSetting = 0;
  private readonly refused = new Map<RefusalKind, number>();
  private readonly lastLog = new Map<RefusalKind, { at: number; suppressed: number }>();

  constructor(
    readonly config: ConnectionLimitsConfig,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits an RTMP connection from `ip`, or returns the refusal (the caller closes the socket at once). */
  admitRtmp(ip: string): RtmpTicket | RefusalKind {
    const mine = this.rtmpByIp.get(ip) ?? 0;
    if (mine >= this.config.rtmpPerIp) return this.refuse("rtmp_per_ip", { ip, open: mine });
    if (this.rtmpHandshaking >= this.config.rtmpHandshakes)
      return this.refuse("rtmp_handshakes", { ip, handshaking: this.rtmpHandshaking });
    this.rtmpByIp.set(ip, mine + 1);
    this.rtmpHandshaking++;
    let handshaking = true;
    let released = false;
    const doneHandshaking = () => {
      if (!handshaking) return;
      handshaking = false;
      this.rtmpHandshaking--;
    };
    return {
      published: doneHandshaking,
      release: () => {
        if (released) return;
        released = true;
        doneHandshaking();
        const left = (this.rtmpByIp.get(ip) ?? 1) - 1;
        if (left > 0) this.rtmpByIp.set(ip, left);
        else this.rtmpByIp.delete(ip);
      },
    };
  }

  /** Counts (and logs) a connection closed because it never published in time. */
  rtmpPublishTimedOut(ip: string): void {
    this.refuse("rtmp_publish_timeout", { ip, afterMs: this.config.rtmpPublishTimeoutMs });
  }

  /** Admits a WHIP offer from `ip` while it is answered: returns a release function, or the refusal. */
  admitWhipSetup(ip: string): (() => void) | WhipRefusal {
    const mine = this.whipByIp.get(ip) ?? 0;
    if (mine >= this.config.whipSetupsPerIp) {
      this.refuse("whip_setups_per_ip", { ip, setting_up: mine });
      return {
        status: 429,
        retryAfterSeconds: 2,
        message: `at most ${this.config.whipSetupsPerIp} WHIP offers at a time from one address; retry shortly`,
      };
    }
    if (this.whipSetting >= this.config.whipSetups) {
      this.refuse("whip_setups", { ip, setting_up: this.whipSetting });
      return {
        status: 503,
        retryAfterSeconds: 2,
        message: "this media node is answering too many WHIP offers; retry shortly",
      };
    }
    this.whipByIp.set(ip, mine + 1);
    this.whipSetting++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.whipSetting--;
      const left = (this.whipByIp.get(ip) ?? 1) - 1;
      if (left > 0) this.whipByIp.set(ip, left);
      else this.whipByIp.delete(ip);
    };
  }

  /** Numbers for /metrics: refusals by kind, and what is held now. */
  snapshot(): {
    refused: Record<RefusalKind, number>;
    rtmpConnections: number;
    rtmpHandshaking: number;
    whipSetups: number;
  } {
    const kinds: RefusalKind[] = [
      "rtmp_per_ip",
      "rtmp_handshakes",
      "rtmp_publish_timeout",
      "whip_setups_per_ip",
      "whip_setups",
    ];
    let rtmpConnections = 0;
    for (const n of this.rtmpByIp.values()) rtmpConnections += n;
    return {
      refused: Object.fromEntries(kinds.map((k) => [k, this.refused.get(k) ?? 0])) as Record<
        RefusalKind,
        number
      >,
      rtmpConnections,
      rtmpHandshaking: this.rtmpHandshaking,
      whipSetups: this.whipSetting,
    };
  }

  private refuse(kind: RefusalKind, fields: Record<string, unknown>): RefusalKind {
    this.refused.set(kind, (this.refused.get(kind) ?? 0) + 1);
    const now = this.now();
    const last = this.lastLog.get(kind);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return kind;
    }
    this.logger.warn("connection limit reached", {
      limit: kind,
      ...fields,
      ...(last?.suppressed ? { suppressedSinceLastLine: last.suppressed } : {}),
    });
    this.lastLog.set(kind, { at: now, suppressed: 0 });
    return kind;
  }
}
