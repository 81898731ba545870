// Room: one participant's session in a video visit. connect() joins it from
// a Telemed join answer; the room then keeps the participant map current
// from the server's messages, publishes local media, and recovers from
// network loss (see reconnect.ts) without a page reload.

import { browserEnv, type Env } from "./env.js";
import { HousecallError } from "./errors.js";
import { Emitter } from "./events.js";
import { parseJoinResponse, type JoinInfo } from "./join.js";
import { Negotiator } from "./negotiation.js";
import { LocalParticipant, RemoteParticipant, RemoteTrack, type LocalPublication, type RemotePublication } from "./participants.js";
import { DEFAULT_PROFILE, Publisher } from "./publisher.js";
import { FATAL_CODES, type JoinedData, type Message, type MessageData, type PublishProfile, type TrackKind, type TrackRef } from "./protocol.js";
import { Reconnector } from "./reconnect.js";
import { SignalConnection, type SignalHandlers } from "./signalling.js";
import { summarize, type RoomStats } from "./stats.js";
import type { ChatMessage, ConnectOptions, ConnectionState, MuteInfo, RoomEvents } from "./options.js";

export type { ChatMessage, ConnectOptions, ConnectionState, MuteInfo, RoomEvents } from "./options.js";

declare const __SDK_VERSION__: string;
/** The SDK's version, sent to the server for diagnostics. */
export const SDK_VERSION: string = typeof __SDK_VERSION__ === "string" ? __SDK_VERSION__ : "dev";

interface Pending {
  match?: (m: Message, id: string) => boolean;
  resolve: (m?: Message) => void;
  reject: (e: Error) => void;
  timer: unknown;
  quiet: boolean;
}

/** Joins the room of a Telemed join answer and starts publishing. */
export async function connect(joinResponse: unknown, options: ConnectOptions = {}): Promise<Room> {
  const room = new Room(parseJoinResponse(joinResponse), options);
  await room.start();
  return room;
}

export class Room extends Emitter<RoomEvents> {
  state: ConnectionState = "connecting";
  roomId = "";
  readonly localParticipant = new LocalParticipant();
  readonly remoteParticipants = new Map<string, RemoteParticipant>();
  profile: PublishProfile = DEFAULT_PROFILE;
  activeSpeaker: string | null = null;

  /** @internal */ readonly env: Env;
  /** @internal */ sig: SignalConnection | null = null;
  /** @internal */ neg: Negotiator | null = null;
  /** @internal */ resumeSecret = "";
  /** @internal */ reconnectGraceMs = 30_000;
  /** @internal */ readonly publisher: Publisher;
  private readonly reconnector: Reconnector;
  private pending = new Map<string, Pending>();

  constructor(
    /** @internal */ readonly info: JoinInfo,
    /** @internal */ readonly options: ConnectOptions,
  ) {
    super();
    this.env = { ...browserEnv(), ...options.env };
    this.publisher = new Publisher({
      env: this.env,
      local: this.localParticipant,
      negotiator: () => this.neg,
      profile: () => this.profile,
      cameraDegradation: options.videoDegradationPreference,
      send: (t, d) => this.sig?.send(t, d) ?? false,
      published: (p) => this.emit("localTrackPublished", p),
      unpublished: (p) => this.emit("localTrackUnpublished", p),
      changed: (p) => this.emit("localTrackChanged", p),
    });
    this.reconnector = new Reconnector(this);
  }

  /** @internal Joins, publishes and waits until media can flow. */
  async start(): Promise<void> {
    const o = this.options;
    const capture = this.publisher.capture(o.audio ?? true, o.video ?? true);
    capture.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
    const sig = new SignalConnection(this.env, this.info.signalingUrl);
    let joined: JoinedData;
    try {
      joined = await sig.open({ type: "join", data: { token: this.info.token, sdk: `housecall-js/${SDK_VERSION}` } }, 10_000);
    } catch (err) {
      void capture.then((t) => [t.audio, t.video].forEach((x) => x?.stop()), () => {});
      throw err;
    }
    this.sig = sig;
    this.applyJoined(joined);
    this.neg = this.newNegotiator(joined);
    sig.attach(this.signalHandlers(sig));
    this.reconnector.watch(this.neg.pc);

    let tracks: { audio?: MediaStreamTrack; video?: MediaStreamTrack };
    try {
      tracks = await capture;
    } catch (err) {
      this.end("media-error", err as HousecallError, true);
      throw err;
    }
    if (this.state === "disconnected") {
      tracks.audio?.stop();
      tracks.video?.stop();
      throw new HousecallError("signalling-failed", "the connection ended while joining");
    }
    const canPublish = this.localParticipant.canPublish;
    if (canPublish && tracks.audio) this.publisher.publish("microphone", tracks.audio, !!o.startMuted?.audio);
    else tracks.audio?.stop();
    if (canPublish && tracks.video) {
      this.publisher.publish("camera", tracks.video, false);
      if (o.startMuted?.video) await this.publisher.setEnabled("camera", false);
    } else tracks.video?.stop();
    if (this.localParticipant.publications.size === 0) {
      // The first offer needs media sections for ICE to start (signalling.md).
      this.neg.pc.addTransceiver("audio", { direction: "recvonly" });
      this.neg.pc.addTransceiver("video", { direction: "recvonly" });
    }
    void this.neg.offer();
    try {
      await this.reconnector.waitConnected(o.connectTimeoutMs ?? 20_000);
    } catch (err) {
      this.end("connect-failed", err as HousecallError, true);
      throw err;
    }
    this.state = "connected";
  }

  /** @internal */
  newNegotiator(joined: JoinedData): Negotiator {
    const servers = this.options.iceServers ?? (joined.iceServers.length > 0 ? joined.iceServers : this.info.iceServers);
    const config: RTCConfiguration = {
      iceServers: servers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
      bundlePolicy: "max-bundle",
      rtcpMuxPolicy: "require",
      iceTransportPolicy: this.options.forceRelay ? "relay" : "all",
    };
    return new Negotiator(this.env, config, {
      send: (t, d) => this.sig?.send(t, d) ?? false,
      beforeOffer: (sdp) => this.publisher.announce(sdp),
      track: (t, tr, ref, mid) => this.onRemoteTrack(t, tr, ref, mid),
      remoteTracks: (mids) => this.reconcileTracks(mids),
      failed: (what, err) => console.warn(`housecall: ${what} failed`, err),
    });
  }

  /** @internal Signal handlers bound to one connection. */
  signalHandlers(sig: SignalConnection): SignalHandlers {
    return {
      message: (m) => this.onMessage(m),
      lost: (code, reason) => {
        if (this.sig === sig) this.reconnector.lost(`signalling-lost (${code}${reason ? " " + reason : ""})`);
      },
      protocolError: (err) => console.warn("housecall: ignored a server message", err),
    };
  }

  /** @internal Applies "joined" (first join or resume). */
  applyJoined(j: JoinedData): void {
    const lp = this.localParticipant;
    lp.id = j.participantId;
    lp.name = j.name ?? "";
    lp.role = j.role;
    lp.canPublish = j.canPublish;
    lp.canModerate = j.canModerate;
    this.roomId = j.roomId;
    this.resumeSecret = j.resumeSecret;
    if (j.reconnectGraceMs > 0) this.reconnectGraceMs = j.reconnectGraceMs;
    this.activeSpeaker = j.activeSpeaker || null;
    const seen = new Set<string>();
    for (const w of j.participants) {
      seen.add(w.id);
      const existing = this.remoteParticipants.get(w.id);
      if (existing) {
        existing.state = w.state;
        const ids = new Set(w.tracks.map((t) => t.id));
        for (const pub of [...existing.publications.values()]) if (!ids.has(pub.trackId)) this.dropPublication(existing, pub);
        for (const t of w.tracks) existing.addPublication(t);
      } else {
        const p = new RemoteParticipant(w.id, w);
        this.remoteParticipants.set(w.id, p);
        if (j.resumed) this.emit("participantJoined", p);
      }
    }
    for (const p of [...this.remoteParticipants.values()]) if (!seen.has(p.id)) this.removeParticipant(p.id, "left");
    const modeChanged = j.profile.mode !== this.profile.mode;
    this.profile = j.profile;
    if (modeChanged && j.resumed) {
      this.emit("publishProfile", j.profile);
      void this.publisher.applyProfile();
    }
  }

  private onMessage(m: Message): void {
    this.reconnector.heard();
    for (const [id, p] of this.pending) {
      if (m.type === "error" && m.data.ref === id) {
        this.settle(id, new HousecallError(m.data.code, m.data.message));
        if (!m.data.fatal) return;
      } else if (p.match?.(m, id)) {
        this.settle(id, null, m);
      }
    }
    const neg = this.neg;
    switch (m.type) {
      case "offer":
        void neg?.onOffer(m.data);
        break;
      case "answer":
        void neg?.onAnswer(m.data);
        break;
      case "candidate":
        neg?.onCandidate(m.data);
        break;
      case "participant-joined": {
        const w = m.data.participant;
        if (w.id === this.localParticipant.id) break;
        const old = this.remoteParticipants.get(w.id);
        if (old) this.removeParticipant(w.id, "replaced");
        const p = new RemoteParticipant(w.id, w);
        this.remoteParticipants.set(w.id, p);
        this.emit("participantJoined", p);
        break;
      }
      case "participant-left":
        this.removeParticipant(m.data.participantId, m.data.reason ?? "left");
        break;
      case "participant-state": {
        const p = this.remoteParticipants.get(m.data.participantId);
        if (p && p.state !== m.data.state) {
          p.state = m.data.state;
          this.emit("participantStateChanged", p, p.state);
        }
        break;
      }
      case "track-published": {
        const p = this.remoteParticipants.get(m.data.participantId);
        if (!p) break;
        const had = p.publications.has(m.data.track.id);
        const pub = p.addPublication(m.data.track);
        if (!had) this.emit("trackPublished", pub, p);
        break;
      }
      case "track-unpublished": {
        const p = this.remoteParticipants.get(m.data.participantId);
        const pub = p?.publications.get(m.data.trackId);
        if (p && pub) this.dropPublication(p, pub);
        break;
      }
      case "mute":
        this.onMute(m.data);
        break;
      case "active-speaker": {
        const id = m.data.participantId || null;
        this.activeSpeaker = id;
        const levels = m.data.speakers ?? [];
        const all = [this.localParticipant, ...this.remoteParticipants.values()];
        for (const p of all) {
          p.audioLevel = levels.find((l) => l.participantId === p.id)?.level ?? 0;
          p.isSpeaking = p.id === id;
        }
        this.emit("activeSpeaker", id ? this.participant(id) : null, levels);
        break;
      }
      case "network-quality":
        for (const s of m.data.scores) {
          const p = this.participant(s.participantId);
          if (p && p.networkQuality !== s.score) {
            p.networkQuality = s.score;
            this.emit("networkQuality", p, s.score);
          }
        }
        break;
      case "publish-profile":
        this.profile = m.data;
        this.emit("publishProfile", m.data);
        void this.publisher.applyProfile();
        break;
      case "layer-hint":
        if (this.options.pauseUnusedLayers ?? true) void this.publisher.applyLayerHint(m.data.trackId, m.data.active);
        break;
      case "layer-changed": {
        const t = this.remoteParticipants.get(m.data.participantId)?.publications.get(m.data.trackId)?.track;
        if (t && t.layer !== m.data.rid) {
          t.layer = m.data.rid;
          this.emit("layerChanged", t, m.data.rid);
        }
        break;
      }
      case "chat": {
        const d = m.data;
        const from = { id: d.from?.id ?? "", name: d.from?.name ?? "", role: d.from?.role ?? "" };
        this.emit("chat", {
          id: d.messageId ?? "",
          text: d.text,
          from,
          time: new Date(d.time || this.env.now()),
          local: from.id === this.localParticipant.id,
        });
        break;
      }
      case "room-closed":
        this.end("room-closed", new HousecallError("room-closed", m.data.reason || "the visit has ended"));
        break;
      case "error": {
        const err = new HousecallError(m.data.code, m.data.message || m.data.code);
        if (m.data.fatal || FATAL_CODES.has(m.data.code)) this.end(m.data.code, err);
        else this.emit("error", err);
        break;
      }
      case "joined":
        break;
    }
  }

  private onMute(d: MessageData["mute"]): void {
    const lp = this.localParticipant;
    if (!d.participantId || d.participantId === lp.id) {
      // The server's record of our own track; a moderator's mute must be obeyed.
      const pub = [...lp.publications.values()].find((p) => (d.trackId ? p.trackId === d.trackId : p.kind === d.kind));
      if (d.by && d.muted) {
        const kind = pub?.kind ?? d.kind;
        if (kind === "microphone" || kind === "camera") void this.publisher.setEnabled(kind, false);
        else if (kind === "screen") void this.publisher.unpublish("screen");
        if (kind) this.emit("trackMuted", { participant: lp, kind, trackId: pub?.trackId ?? "", by: d.by });
      }
      return;
    }
    const p = this.remoteParticipants.get(d.participantId);
    const pub = p?.publications.get(d.trackId ?? "");
    if (!p || !pub || pub.muted === d.muted) return;
    pub.muted = d.muted;
    const info: MuteInfo = { participant: p, kind: pub.kind, trackId: pub.trackId, by: d.by || undefined };
    this.emit(d.muted ? "trackMuted" : "trackUnmuted", info);
  }

  private participant(id: string): RemoteParticipant | LocalParticipant | null {
    if (id === this.localParticipant.id) return this.localParticipant;
    return this.remoteParticipants.get(id) ?? null;
  }

  private onRemoteTrack(track: MediaStreamTrack, tr: RTCRtpTransceiver, ref: TrackRef, mid: string): void {
    let p = this.remoteParticipants.get(ref.participantId);
    if (!p) {
      p = new RemoteParticipant(ref.participantId, { id: ref.participantId, role: "", state: "active", tracks: [] });
      this.remoteParticipants.set(p.id, p);
      this.emit("participantJoined", p);
    }
    const pub = p.publications.get(ref.trackId) ?? p.addPublication({ id: ref.trackId, kind: ref.kind });
    if (pub.track && pub.track.mediaStreamTrack === track) return;
    if (pub.track) this.unsubscribe(p, pub);
    let stream: MediaStream | null = null;
    try {
      stream = this.env.newMediaStream([track]);
    } catch {
      stream = null;
    }
    void tr;
    pub.track = new RemoteTrack(p, ref.trackId, ref.kind, track, stream, mid, this);
    this.emit("trackSubscribed", pub.track, p);
  }

  /** Drops subscriptions whose media section no longer carries them. */
  private reconcileTracks(mids: ReadonlyMap<string, TrackRef>): void {
    for (const p of this.remoteParticipants.values()) {
      for (const pub of p.publications.values()) {
        const t = pub.track;
        if (!t) continue;
        const ref = t.mid ? mids.get(t.mid) : undefined;
        if (!ref || ref.participantId !== p.id || ref.trackId !== t.trackId) this.unsubscribe(p, pub);
      }
    }
  }

  private unsubscribe(p: RemoteParticipant, pub: RemotePublication): void {
    const t = pub.track;
    if (!t) return;
    pub.track = null;
    this.emit("trackUnsubscribed", t, p);
  }

  private dropPublication(p: RemoteParticipant, pub: RemotePublication): void {
    this.unsubscribe(p, pub);
    p.publications.delete(pub.trackId);
    this.emit("trackUnpublished", pub, p);
  }

  private removeParticipant(id: string, reason: string): void {
    const p = this.remoteParticipants.get(id);
    if (!p) return;
    for (const pub of p.publications.values()) this.unsubscribe(p, pub);
    this.remoteParticipants.delete(id);
    if (this.activeSpeaker === id) this.activeSpeaker = null;
    this.emit("participantLeft", p, reason);
  }

  // ---- Public API -------------------------------------------------------

  /** Mutes or unmutes the microphone (publishing it first if needed). */
  setMicrophoneEnabled(enabled: boolean): Promise<void> {
    return this.publisher.setEnabled("microphone", enabled);
  }

  /** Turns the camera on or off; off releases the device. */
  setCameraEnabled(enabled: boolean): Promise<void> {
    return this.publisher.setEnabled("camera", enabled);
  }

  /**
   * Switches the microphone or camera to another device without
   * renegotiating. kind: "audioinput" | "videoinput" (or "microphone" |
   * "camera"). For speakers use HTMLMediaElement.setSinkId.
   */
  switchDevice(kind: "audioinput" | "videoinput" | "microphone" | "camera", deviceId: string): Promise<void> {
    const k = kind === "audioinput" || kind === "microphone" ? "microphone" : "camera";
    return this.publisher.switchDevice(k, deviceId);
  }

  /** Shares a screen, window or tab (the browser asks which). */
  async publishScreen(options: { audio?: boolean } = {}): Promise<LocalPublication> {
    this.requireConnected();
    const existing = this.localParticipant.publications.get("screen");
    if (existing) return existing;
    let stream: MediaStream;
    try {
      stream = await this.env.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 15 } }, audio: !!options.audio });
    } catch (err) {
      const name = (err as { name?: string })?.name;
      throw new HousecallError(name === "NotAllowedError" ? "media-denied" : "media-unavailable", "screen sharing was not started", err);
    }
    for (const t of stream.getAudioTracks()) t.stop();
    const track = stream.getVideoTracks()[0];
    if (!track) throw new HousecallError("media-unavailable", "no screen was shared");
    return this.publisher.publish("screen", track);
  }

  /** Stops sharing the screen. */
  unpublishScreen(): Promise<void> {
    return this.publisher.unpublish("screen");
  }

  /** Sends a chat message to everyone; resolves when the server relays it (it is then stored on the visit). */
  sendChat(text: string): Promise<ChatMessage> {
    if (typeof text !== "string" || text.trim() === "") return Promise.reject(new HousecallError("bad-request", "empty chat message"));
    const me = this.localParticipant.id;
    // The server acknowledges by relaying the message back with its id.
    return this.request("chat", { text }, (m, id) => m.type === "chat" && m.id === id, 10_000).then((m) => {
      const d = (m as Extract<Message, { type: "chat" }>).data;
      return { id: d.messageId ?? "", text: d.text, from: { id: me, name: d.from?.name ?? "", role: d.from?.role ?? "" }, time: new Date(d.time || this.env.now()), local: true };
    });
  }

  /** Moderators: mutes another participant's microphone, camera or screen. */
  async mute(participantId: string, kind: TrackKind = "microphone"): Promise<void> {
    await this.request("mute", { participantId, kind, muted: true }, (m) => m.type === "mute" && m.data.participantId === participantId && m.data.muted, 2_000, true);
  }

  /** Moderators: removes a participant from the visit. */
  async remove(participantId: string, reason?: string): Promise<void> {
    await this.request("remove", { participantId, reason }, (m) => m.type === "participant-left" && m.data.participantId === participantId, 5_000);
  }

  /**
   * Reports the size a remote video is shown at (device pixels) so the
   * server forwards the simulcast layer that fits; paused: not shown.
   * attach() does this automatically.
   */
  setRenderedSize(participantId: string, trackId: string, width: number, height: number, paused = false): void {
    const clamp = (v: number) => Math.max(0, Math.min(16384, Math.round(v || 0)));
    // Only for tracks received now (a detached, unsubscribed track is gone).
    if (!this.remoteParticipants.get(participantId)?.publications.get(trackId)?.track) return;
    this.sig?.send("subscription", { participantId, trackId, width: clamp(width), height: clamp(height), paused: paused || undefined });
  }

  /** Statistics per track and of the connection. */
  async getStats(): Promise<RoomStats> {
    const neg = this.neg;
    if (!neg) throw new HousecallError("not-connected", "not connected");
    const report = await neg.pc.getStats();
    const refs = new Map<string, TrackRef>();
    for (const p of this.remoteParticipants.values()) {
      for (const pub of p.publications.values()) {
        if (pub.track) refs.set(pub.track.mediaStreamTrack.id, { participantId: p.id, trackId: pub.trackId, kind: pub.kind });
      }
    }
    return summarize(report, {
      remoteByMid: (mid) => neg.mids.get(mid),
      remoteByTrack: (id) => refs.get(id),
      localByMid: (mid) => {
        for (const pub of this.localParticipant.publications.values()) {
          if (pub.transceiver?.mid === mid) return { trackId: pub.trackId, kind: pub.kind };
        }
        return undefined;
      },
    });
  }

  /** Leaves the visit and releases camera, microphone and connection. */
  async disconnect(): Promise<void> {
    if (this.state === "disconnected") return;
    this.sig?.send("leave", { reason: "left" });
    this.end("client");
  }

  private requireConnected(): void {
    if (this.state === "disconnected") throw new HousecallError("not-connected", "the room is disconnected");
  }

  /** Sends a request; resolves on the confirming message (or after timeoutMs when quiet), rejects on an error naming it. */
  private request<T extends "chat" | "mute" | "remove">(type: T, data: MessageData[T], match: (m: Message, id: string) => boolean, timeoutMs: number, quiet = false): Promise<Message | undefined> {
    const sig = this.sig;
    if (!sig || this.state === "disconnected") return Promise.reject(new HousecallError("not-connected", "not connected"));
    const id = sig.newID();
    return new Promise((resolve, reject) => {
      const timer = this.env.setTimeout(() => {
        const p = this.pending.get(id);
        if (!p) return;
        if (p.quiet) this.settle(id, null);
        else this.settle(id, new HousecallError("timeout", `no answer to ${type}`));
      }, timeoutMs);
      this.pending.set(id, { match, resolve, reject, timer, quiet });
      if (!sig.send(type, data, id)) this.settle(id, new HousecallError("not-connected", "the signalling connection is down"));
    });
  }

  private settle(id: string, err: Error | null, m?: Message): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.env.clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(m);
  }

  /** @internal Ends the session once; reason goes to "disconnected". */
  end(reason: string, error?: HousecallError, silent = false): void {
    if (this.state === "disconnected") return;
    this.state = "disconnected";
    this.reconnector.stop();
    for (const id of [...this.pending.keys()]) this.settle(id, new HousecallError("not-connected", "disconnected"));
    this.sig?.close(1000, reason);
    this.sig = null;
    this.neg?.close();
    this.publisher.stopAll();
    for (const p of [...this.remoteParticipants.values()]) for (const pub of p.publications.values()) this.unsubscribe(p, pub);
    if (!silent) this.emit("disconnected", reason, error);
    this.removeAllListeners();
  }

  /** @internal for Reconnector */
  emitEvent<K extends keyof RoomEvents>(name: K, ...args: Parameters<RoomEvents[K]>): void {
    this.emit(name, ...args);
  }
}
