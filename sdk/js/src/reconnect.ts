// Recovery from network loss. When the WebSocket drops, ICE fails (or
// stays "disconnected" for a few seconds), or nothing at all arrives from
// the server for a few seconds (a watchdog on the selected candidate pair:
// a lost link often leaves both the WebSocket and ICE looking healthy for
// half a minute), or the signalling connection stays silent although it is
// pinged (a half-open TCP connection), the room emits "reconnecting",
// opens a new WebSocket and sends "resume" with its participant id and
// resume secret; the server reattaches the same participant (no duplicate,
// same tracks) and restarts ICE with a new offer. Once media flows again
// the room emits "reconnected". Attempts back off and stop at the end of
// the server's reconnect grace period, with "disconnected".

import { sleep } from "./env.js";
import { HousecallError } from "./errors.js";
import { SignalConnection } from "./signalling.js";
import type { Room } from "./room.js";

/** Errors after which resuming cannot succeed. */
const FINAL = new Set(["resume-failed", "unauthorized", "room-closed", "removed", "replaced", "room-full", "bad-request", "unsupported-version"]);

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class Reconnector {
  private pc: RTCPeerConnection | null = null;
  private waiters = new Set<Waiter>();
  private disconnectedTimer: unknown = null;
  private stopped = false;
  private running = false;
  private watchdog: unknown = null;
  private lastInbound = -1;
  private lastInboundAt = 0;
  private keepalive: unknown = null;
  private lastHeardAt = 0;

  constructor(private readonly room: Room) {}

  /** Follows a PeerConnection's ICE state. */
  watch(pc: RTCPeerConnection): void {
    this.pc = pc;
    pc.oniceconnectionstatechange = () => this.onICE(pc.iceConnectionState);
    this.scheduleWatchdog();
    this.lastHeardAt = this.room.env.now();
    this.scheduleKeepalive();
  }

  /** Something arrived on the signalling connection. */
  heard(): void {
    this.lastHeardAt = this.room.env.now();
  }

  /**
   * Pings the server every third of signallingTimeoutMs; when nothing at
   * all (no pong, no other message) arrived for signallingTimeoutMs the
   * WebSocket is dead even if it looks open, and the room resumes.
   */
  private scheduleKeepalive(): void {
    const ms = this.room.options.signallingTimeoutMs ?? 15_000;
    if (this.stopped || ms <= 0 || this.keepalive !== null) return;
    this.keepalive = this.room.env.setTimeout(() => {
      this.keepalive = null;
      const room = this.room;
      const sig = room.sig;
      if (room.state === "connected" && sig?.isOpen) {
        if (room.env.now() - this.lastHeardAt >= ms) {
          this.lost("signalling-timeout");
        } else {
          sig.send("ping", {}, sig.newID());
        }
      } else {
        this.lastHeardAt = room.env.now(); // a new connection starts its own count
      }
      this.scheduleKeepalive();
    }, Math.max(100, Math.floor(ms / 3)));
  }

  private scheduleWatchdog(): void {
    const ms = this.room.options.mediaTimeoutMs ?? 3_000;
    if (this.stopped || ms <= 0) return;
    this.watchdog = this.room.env.setTimeout(() => {
      this.watchdog = null;
      void this.checkInbound(ms).finally(() => this.scheduleWatchdog());
    }, 500);
  }

  /**
   * Counts what arrives on the selected candidate pair: media, RTCP (the
   * server sends reports and congestion feedback every second or faster)
   * and ICE keepalives (every 2 s). Nothing for timeoutMs means the link
   * is gone, whatever ICE and the WebSocket say.
   */
  private async checkInbound(timeoutMs: number): Promise<void> {
    const pc = this.pc;
    if (!pc || this.room.state !== "connected" || !this.connected) {
      this.lastInbound = -1;
      return;
    }
    let total = -1;
    try {
      const report = await pc.getStats();
      let pairID = "";
      const pairs = new Map<string, Record<string, unknown>>();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === "transport" && typeof s.selectedCandidatePairId === "string") pairID = s.selectedCandidatePairId;
        if (s.type === "candidate-pair") pairs.set(s.id as string, s);
      });
      let pair = pairs.get(pairID);
      if (!pair) for (const p of pairs.values()) if (p.nominated && p.state === "succeeded") pair = p;
      if (!pair) return;
      const n = (v: unknown) => (typeof v === "number" ? v : 0);
      total = n(pair.bytesReceived) + n(pair.packetsReceived) + n(pair.requestsReceived) + n(pair.responsesReceived);
    } catch {
      return;
    }
    const now = this.room.env.now();
    if (total !== this.lastInbound) {
      this.lastInbound = total;
      this.lastInboundAt = now;
      return;
    }
    if (now - this.lastInboundAt >= timeoutMs) {
      this.lastInbound = -1;
      this.lost("media-timeout");
    }
  }

  private get connected(): boolean {
    const s = this.pc?.iceConnectionState;
    return s === "connected" || s === "completed";
  }

  private onICE(state: RTCIceConnectionState): void {
    const env = this.room.env;
    if (state === "connected" || state === "completed") {
      this.clearDisconnected();
      for (const w of [...this.waiters]) w.resolve();
      return;
    }
    if (state === "failed") {
      this.clearDisconnected();
      if (this.room.state === "connected") this.lost("ice-failed");
      else if (this.room.state === "connecting") for (const w of [...this.waiters]) w.reject(new HousecallError("ice-failed", "media could not reach the server (ICE failed)"));
      return;
    }
    if (state === "disconnected" && this.room.state === "connected" && this.disconnectedTimer === null) {
      const ms = this.room.options.iceDisconnectedTimeoutMs ?? 3_000;
      this.disconnectedTimer = env.setTimeout(() => {
        this.disconnectedTimer = null;
        if (!this.connected && this.room.state === "connected") this.lost("ice-disconnected");
      }, ms);
    }
  }

  private clearDisconnected(): void {
    if (this.disconnectedTimer !== null) this.room.env.clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = null;
  }

  /** Resolves once ICE is connected; rejects after timeoutMs. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    const env = this.room.env;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        resolve: () => {
          this.waiters.delete(w);
          env.clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          this.waiters.delete(w);
          env.clearTimeout(timer);
          reject(e);
        },
      };
      const timer = env.setTimeout(() => w.reject(new HousecallError("connect-timeout", `media did not start flowing within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.add(w);
    });
  }

  /** The signalling or the media path was lost. */
  lost(reason: string): void {
    if (this.stopped) return;
    if (this.room.state === "reconnecting") {
      // The connection of the attempt in progress dropped: retry.
      for (const w of [...this.waiters]) w.reject(new HousecallError("signalling-failed", reason));
      return;
    }
    if (this.room.state !== "connected" || this.running) return;
    void this.run(reason);
  }

  private async run(reason: string): Promise<void> {
    const room = this.room;
    const env = room.env;
    this.running = true;
    room.state = "reconnecting";
    room.emitEvent("reconnecting", reason);
    const deadline = env.now() + Math.max(1_000, room.reconnectGraceMs - 500);
    room.sig?.close(4000, "reconnecting");
    room.sig = null;
    let attempt = 0;
    try {
      while (!this.stopped && room.state === "reconnecting") {
        const remaining = deadline - env.now();
        if (remaining <= 0) break;
        const sig = new SignalConnection(env, room.info.signalingUrl);
        try {
          const joined = await sig.open(
            { type: "resume", data: { token: room.info.token, participantId: room.localParticipant.id, resumeSecret: room.resumeSecret } },
            Math.min(5_000, remaining),
          );
          if (this.stopped) {
            sig.close();
            return;
          }
          room.sig = sig;
          room.applyJoined(joined);
          sig.attach(room.signalHandlers(sig));
          room.publisher.resync();
          await room.neg?.resumed();
          // The server restarts ICE with an offer; wait for media.
          await this.waitConnected(Math.max(1_000, Math.min(15_000, deadline - env.now())));
          if (this.stopped || room.state !== "reconnecting") return;
          room.state = "connected";
          room.emitEvent("reconnected");
          return;
        } catch (err) {
          if (this.stopped) return;
          const code = (err as HousecallError).code ?? "";
          if (FINAL.has(code)) {
            room.end(code, err as HousecallError);
            return;
          }
          if (room.sig === sig) room.sig = null;
          sig.close();
          const wait = Math.min(250 * 2 ** attempt++, 2_000, Math.max(0, deadline - env.now()));
          await sleep(env, wait);
        }
      }
      if (!this.stopped && room.state === "reconnecting") {
        room.end("reconnect-failed", new HousecallError("timeout", "could not reconnect within the grace period"));
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
    this.clearDisconnected();
    if (this.watchdog !== null) this.room.env.clearTimeout(this.watchdog);
    this.watchdog = null;
    if (this.keepalive !== null) this.room.env.clearTimeout(this.keepalive);
    this.keepalive = null;
    for (const w of [...this.waiters]) w.reject(new HousecallError("not-connected", "disconnected"));
  }
}
