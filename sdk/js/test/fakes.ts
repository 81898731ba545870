// Fakes of the browser APIs the SDK uses: a scriptable WebSocket (the test
// plays the server), an RTCPeerConnection that keeps the signalling state
// machine, assigns mids and fires ontrack, and media tracks. Timers come
// from vitest's fake clock.

import { vi } from "vitest";
import type { Env } from "../src/env.js";

let nextID = 1;

export class FakeTrack {
  id: string;
  enabled = true;
  readyState: "live" | "ended" = "live";
  contentHint = "";
  stopped = false;
  listeners = new Map<string, () => void>();
  constructor(
    readonly kind: "audio" | "video",
    readonly deviceId = "default",
  ) {
    this.id = `${kind}-track-${nextID++}`;
  }
  stop() {
    this.stopped = true;
    this.readyState = "ended";
  }
  clone() {
    return new FakeTrack(this.kind, this.deviceId);
  }
  getSettings() {
    return this.kind === "video" ? { width: 1280, height: 720, deviceId: this.deviceId } : { deviceId: this.deviceId };
  }
  addEventListener(name: string, fn: () => void) {
    this.listeners.set(name, fn);
  }
}

export class FakeWebSocket {
  static all: FakeWebSocket[] = [];
  readyState = 0;
  sent: { v: number; type: string; id?: string; data: Record<string, unknown> }[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  // Test side.
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serve(type: string, data: unknown, id?: string) {
    this.onmessage?.({ data: JSON.stringify({ v: 1, type, id, data }) });
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  ofType(type: string) {
    return this.sent.filter((m) => m.type === type);
  }
}

export class FakeSender {
  params: { encodings: RTCRtpEncodingParameters[]; degradationPreference?: string };
  replaced: (FakeTrack | null)[] = [];
  constructor(
    public track: FakeTrack | null,
    encodings: RTCRtpEncodingParameters[],
  ) {
    this.params = { encodings: encodings.map((e) => ({ ...e })) };
  }
  async replaceTrack(t: FakeTrack | null) {
    this.replaced.push(t);
    this.track = t;
  }
  getParameters() {
    return JSON.parse(JSON.stringify(this.params));
  }
  async setParameters(p: FakeSender["params"]) {
    this.params = p;
  }
}

export class FakeTransceiver {
  mid: string | null = null;
  stopped = false;
  codecs: unknown[] = [];
  readonly receiver: { track: FakeTrack };
  constructor(
    public direction: string,
    readonly sender: FakeSender,
    readonly streamID: string,
    kind: "audio" | "video",
  ) {
    this.receiver = { track: new FakeTrack(kind) };
  }
  stop() {
    this.stopped = true;
    this.direction = "stopped";
  }
  setCodecPreferences(c: unknown[]) {
    this.codecs = c;
  }
}

export class FakePC {
  static all: FakePC[] = [];
  signalingState: RTCSignalingState = "stable";
  iceConnectionState: RTCIceConnectionState = "new";
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  transceivers: FakeTransceiver[] = [];
  candidates: RTCIceCandidateInit[] = [];
  closed = false;
  offers = 0;
  rollbacks = 0;
  stats: Record<string, unknown>[] = [];
  onicecandidate: ((ev: { candidate: unknown }) => void) | null = null;
  ontrack: ((ev: { track: FakeTrack; transceiver: FakeTransceiver }) => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  private nextMid = 0;
  constructor(readonly config: RTCConfiguration) {
    FakePC.all.push(this);
  }
  addTransceiver(trackOrKind: FakeTrack | string, init: { direction: string; streams?: { id?: string }[]; sendEncodings?: RTCRtpEncodingParameters[] }) {
    const track = typeof trackOrKind === "string" ? null : trackOrKind;
    const kind = typeof trackOrKind === "string" ? (trackOrKind as "audio" | "video") : trackOrKind.kind;
    const tr = new FakeTransceiver(init.direction, new FakeSender(track, init.sendEncodings ?? [{}]), "stream", kind);
    (tr as unknown as { msid: string }).msid = track ? track.id : `anon-${nextID++}`;
    this.transceivers.push(tr);
    return tr;
  }
  private sdp(kind: string) {
    let s = `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=${kind}\r\n`;
    for (const t of this.transceivers) {
      if (t.stopped) continue;
      const mid = t.mid ?? `pending${this.transceivers.indexOf(t)}`;
      s += `m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:${mid}\r\na=msid:stream ${(t as unknown as { msid: string }).msid}\r\n`;
    }
    return s;
  }
  async createOffer() {
    return { type: "offer", sdp: "" };
  }
  async createAnswer() {
    return { type: "answer", sdp: "v=0\r\ns=answer\r\n" };
  }
  async setLocalDescription(d: { type: string; sdp?: string }) {
    if (d.type === "rollback") {
      if (this.signalingState !== "have-local-offer") throw new Error("nothing to roll back");
      this.rollbacks++;
      this.signalingState = "stable";
      this.localDescription = null;
      return;
    }
    if (d.type === "offer") {
      if (this.signalingState !== "stable") throw new Error(`offer in ${this.signalingState}`);
      for (const t of this.transceivers) if (t.mid === null && !t.stopped) t.mid = String(this.nextMid++);
      this.offers++;
      this.signalingState = "have-local-offer";
      this.localDescription = { type: "offer", sdp: this.sdp("offer") };
      return;
    }
    if (this.signalingState !== "have-remote-offer") throw new Error(`answer in ${this.signalingState}`);
    this.signalingState = "stable";
    this.localDescription = { type: "answer", sdp: d.sdp ?? "" };
  }
  async setRemoteDescription(d: { type: string; sdp: string }) {
    if (d.type === "answer") {
      if (this.signalingState !== "have-local-offer") throw new Error(`answer in ${this.signalingState}`);
      this.signalingState = "stable";
      this.remoteDescription = d;
      return;
    }
    if (this.signalingState !== "stable") throw new Error(`offer in ${this.signalingState}`);
    this.signalingState = "have-remote-offer";
    this.remoteDescription = d;
    // Server media sections: "a=mid:<mid> <kind>" lines in the fake SDP.
    for (const m of d.sdp.matchAll(/a=mid:(\S+) (audio|video)/g)) {
      if (this.transceivers.some((t) => t.mid === m[1])) continue;
      const tr = new FakeTransceiver("recvonly", new FakeSender(null, [{}]), "", m[2] as "audio" | "video");
      tr.mid = m[1];
      this.transceivers.push(tr);
      this.ontrack?.({ track: tr.receiver.track, transceiver: tr });
    }
  }
  async addIceCandidate(c: RTCIceCandidateInit) {
    this.candidates.push(c);
  }
  async getStats() {
    const m = new Map(this.stats.map((s) => [s.id as string, s]));
    return m;
  }
  close() {
    this.closed = true;
  }
  // Test side.
  setIce(s: RTCIceConnectionState) {
    this.iceConnectionState = s;
    this.oniceconnectionstatechange?.();
  }
}

export interface Harness {
  env: Partial<Env>;
  gum: ReturnType<typeof vi.fn>;
  display: ReturnType<typeof vi.fn>;
  ws(i?: number): FakeWebSocket;
  pc(i?: number): FakePC;
}

export function harness(): Harness {
  FakeWebSocket.all = [];
  FakePC.all = [];
  const gum = vi.fn(async (c: MediaStreamConstraints) => {
    const video = (c.video as MediaTrackConstraints | undefined)?.deviceId as { exact?: string } | undefined;
    const audio = (c.audio as MediaTrackConstraints | undefined)?.deviceId as { exact?: string } | undefined;
    const tracks = [...(c.audio ? [new FakeTrack("audio", audio?.exact)] : []), ...(c.video ? [new FakeTrack("video", video?.exact)] : [])];
    return { getAudioTracks: () => tracks.filter((t) => t.kind === "audio"), getVideoTracks: () => tracks.filter((t) => t.kind === "video"), getTracks: () => tracks };
  });
  const display = vi.fn(async () => {
    const t = new FakeTrack("video", "screen");
    return { getAudioTracks: () => [], getVideoTracks: () => [t], getTracks: () => [t] };
  });
  const env: Partial<Env> = {
    WebSocket: FakeWebSocket as unknown as Env["WebSocket"],
    RTCPeerConnection: FakePC as unknown as Env["RTCPeerConnection"],
    getUserMedia: gum as unknown as Env["getUserMedia"],
    getDisplayMedia: display as unknown as Env["getDisplayMedia"],
    enumerateDevices: async () => [],
    newMediaStream: (tracks) => ({ id: "stream", tracks }) as unknown as MediaStream,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
  };
  return {
    env,
    gum,
    display,
    ws: (i) => FakeWebSocket.all[i ?? FakeWebSocket.all.length - 1],
    pc: (i) => FakePC.all[i ?? FakePC.all.length - 1],
  };
}

/** Lets queued promises and zero-delay timers run. */
export async function flush(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export const joinAnswer = {
  Meeting: {
    MeetingId: "m1",
    ExternalMeetingId: "enc1",
    MediaPlacement: { SignalingUrl: "wss://visits.example.org/rtc", IceServers: [{ urls: ["turn:visits.example.org:3478?transport=udp"], username: "u", credential: "p" }] },
  },
  Attendee: { AttendeeId: "a1", ExternalUserId: "Practitioner/1", JoinToken: "join-token" },
};

export function joined(over: Record<string, unknown> = {}) {
  return {
    participantId: "Practitioner/1",
    resumeSecret: "secret-1",
    roomId: "m1",
    name: "Dr One",
    role: "host",
    canPublish: true,
    canModerate: true,
    participants: [{ id: "Patient/2", name: "Pat", role: "participant", state: "active", tracks: [{ id: "p2-mic", kind: "microphone" }, { id: "p2-cam", kind: "camera" }] }],
    iceServers: [{ urls: ["stun:visits.example.org:3478"] }],
    profile: { mode: "two-party", video: { width: 1280, height: 720, fps: 24, maxBitrate: 1500000, codec: "video/VP8" } },
    reconnectGraceMs: 30000,
    ...over,
  };
}

export const simulcastProfile = {
  mode: "simulcast",
  video: { width: 1280, height: 720, fps: 24, maxBitrate: 1500000, codec: "video/VP8" },
  layers: [
    { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150000, maxFramerate: 15 },
    { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500000, maxFramerate: 24 },
    { rid: "f", scaleResolutionDownBy: 1, maxBitrate: 1500000, maxFramerate: 24 },
  ],
};
