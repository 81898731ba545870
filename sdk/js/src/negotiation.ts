// Offer/answer on the one RTCPeerConnection a participant uses to publish
// and to receive. The client sends the first offer; afterwards the server
// offers whenever what it forwards changes (and to restart ICE), and the
// client offers when it publishes or unpublishes. On glare the server is
// the impolite peer: the client (polite) rolls its offer back, answers the
// server's offer and offers again ("perfect negotiation").
//
// Every step runs on one promise queue, so that an offer arriving while the
// client is creating its own cannot interleave with it.

import type { Env } from "./env.js";
import type { CandidateData, MessageData, SessionDescriptionData, TrackRef } from "./protocol.js";

export interface NegotiatorHooks {
  send<T extends "offer" | "answer" | "candidate">(type: T, data: MessageData[T]): boolean;
  /** Runs after the local offer is set and before it is sent (publish announcements). */
  beforeOffer(sdp: string): void;
  /** A remote track arrived on a media section the server attributed. */
  track(track: MediaStreamTrack, transceiver: RTCRtpTransceiver, ref: TrackRef, mid: string): void;
  /** After each server offer: the media sections that still carry remote tracks. */
  remoteTracks(mids: ReadonlyMap<string, TrackRef>): void;
  /** Something failed; the room decides (usually: log). */
  failed(what: string, err: unknown): void;
}

export class Negotiator {
  readonly pc: RTCPeerConnection;
  /** mid → remote track, from the server's latest offer. */
  readonly mids = new Map<string, TrackRef>();
  private queue: Promise<void> = Promise.resolve();
  private needOffer = false;
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private closed = false;
  /** Tracks whose mid was not attributed when they arrived. */
  private orphans = new Map<string, { track: MediaStreamTrack; transceiver: RTCRtpTransceiver }>();

  constructor(
    env: Env,
    config: RTCConfiguration,
    private readonly hooks: NegotiatorHooks,
  ) {
    this.pc = new env.RTCPeerConnection(config);
    this.pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      if (!c || !c.candidate) return;
      this.hooks.send("candidate", {
        candidate: c.candidate,
        sdpMid: c.sdpMid ?? undefined,
        sdpMLineIndex: c.sdpMLineIndex ?? undefined,
        usernameFragment: c.usernameFragment ?? undefined,
      });
    };
    this.pc.ontrack = (ev) => {
      const mid = ev.transceiver?.mid ?? "";
      const ref = this.mids.get(mid);
      if (!ref) {
        this.orphans.set(mid, { track: ev.track, transceiver: ev.transceiver });
        return;
      }
      this.hooks.track(ev.track, ev.transceiver, ref, mid);
    };
  }

  /** Queues fn after every earlier negotiation step. */
  private run(what: string, fn: () => Promise<void>): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.closed) return;
      try {
        await fn();
      } catch (err) {
        this.hooks.failed(what, err);
      }
    });
    this.queue = next;
    return next;
  }

  /** Sends a client offer now, or after the negotiation in progress. */
  offer(): Promise<void> {
    this.needOffer = true;
    return this.run("offer", () => this.offerNow());
  }

  private async offerNow(): Promise<void> {
    if (!this.needOffer) return;
    if (this.pc.signalingState !== "stable") return; // sent after the answer
    this.needOffer = false;
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const sdp = this.pc.localDescription?.sdp ?? offer.sdp ?? "";
    this.hooks.beforeOffer(sdp);
    if (!this.hooks.send("offer", { sdp })) {
      // The signalling is down: withdraw so that the next offer (after a
      // resume) starts from a stable state.
      await this.pc.setLocalDescription({ type: "rollback" });
      this.needOffer = true;
    }
  }

  /** A server offer: roll back ours on glare, answer, re-offer if needed. */
  onOffer(d: SessionDescriptionData): Promise<void> {
    return this.run("answer", async () => {
      this.mids.clear();
      for (const [mid, ref] of Object.entries(d.tracks ?? {})) this.mids.set(mid, ref);
      if (this.pc.signalingState === "have-local-offer") {
        await this.pc.setLocalDescription({ type: "rollback" });
        this.needOffer = true;
      }
      await this.pc.setRemoteDescription({ type: "offer", sdp: d.sdp });
      await this.flushCandidates();
      for (const [mid, o] of [...this.orphans]) {
        const ref = this.mids.get(mid);
        if (ref) {
          this.orphans.delete(mid);
          this.hooks.track(o.track, o.transceiver, ref, mid);
        }
      }
      this.hooks.remoteTracks(this.mids);
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      this.hooks.send("answer", { sdp: this.pc.localDescription?.sdp ?? answer.sdp ?? "" });
      await this.offerNow();
    });
  }

  /** The server's answer to our offer. */
  onAnswer(d: SessionDescriptionData): Promise<void> {
    return this.run("apply answer", async () => {
      if (this.pc.signalingState !== "have-local-offer") return; // answers an offer we rolled back
      await this.pc.setRemoteDescription({ type: "answer", sdp: d.sdp });
      await this.flushCandidates();
      await this.offerNow();
    });
  }

  /** A trickled server candidate; kept until a remote description exists. */
  onCandidate(d: CandidateData): void {
    if (!d.candidate) return;
    const init: RTCIceCandidateInit = {
      candidate: d.candidate,
      sdpMid: d.sdpMid ?? undefined,
      sdpMLineIndex: d.sdpMLineIndex ?? undefined,
      usernameFragment: d.usernameFragment ?? undefined,
    };
    if (!this.pc.remoteDescription) {
      if (this.pendingCandidates.length < 64) this.pendingCandidates.push(init);
      return;
    }
    this.pc.addIceCandidate(init).catch((err) => this.hooks.failed("candidate", err));
  }

  private async flushCandidates(): Promise<void> {
    const list = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const c of list) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (err) {
        this.hooks.failed("candidate", err);
      }
    }
  }

  /** After a resume: withdraw an offer the old connection may have lost. */
  resumed(): Promise<void> {
    return this.run("resume", async () => {
      if (this.pc.signalingState === "have-local-offer") {
        await this.pc.setLocalDescription({ type: "rollback" });
        this.needOffer = true;
      }
      // The server restarts ICE with an offer of its own; ours follows its answer.
    });
  }

  /** Resolves when every queued step has run. */
  idle(): Promise<void> {
    return this.queue;
  }

  close(): void {
    this.closed = true;
    try {
      this.pc.close();
    } catch {
      /* closed already */
    }
  }
}

/** Maps each media section's mid to the track id of its a=msid line. */
export function msidByMid(sdp: string): Map<string, string> {
  const out = new Map<string, string>();
  const sections = sdp.split(/\r?\nm=/).slice(1);
  for (const s of sections) {
    const mid = /(?:^|\n)a=mid:(\S+)/.exec(s)?.[1];
    const msid = /(?:^|\n)a=msid:\S+ (\S+)/.exec(s)?.[1];
    if (mid && msid) out.set(mid, msid);
  }
  return out;
}
