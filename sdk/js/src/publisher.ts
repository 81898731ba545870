// What the local participant sends: capturing the microphone, camera and
// screen, adding them to the PeerConnection with the encodings the server's
// publish profile asks for (one 720p24 VP8 encoding in two-party rooms,
// three simulcast layers in larger ones), announcing them with "publish"
// before the offer that carries them, muting, device switches without
// renegotiation (replaceTrack), and republishing the camera when the
// profile changes.

import type { Env } from "./env.js";
import { HousecallError } from "./errors.js";
import { msidByMid, type Negotiator } from "./negotiation.js";
import { LocalPublication, type LocalParticipant } from "./participants.js";
import type { MessageData, PublishProfile, TrackKind } from "./protocol.js";

/** How to capture a device at connect time or when enabling it. */
export type CaptureOption = boolean | { deviceId?: string } | MediaStreamTrack;

export interface PublisherContext {
  env: Env;
  local: LocalParticipant;
  negotiator(): Negotiator | null;
  profile(): PublishProfile;
  /** The camera's degradationPreference, when the app chose one. */
  cameraDegradation?: "balanced" | "maintain-framerate" | "maintain-resolution";
  send<T extends "publish" | "unpublish" | "mute">(type: T, data: MessageData[T]): boolean;
  published(pub: LocalPublication): void;
  unpublished(pub: LocalPublication): void;
  changed(pub: LocalPublication): void;
}

/** The telehealth two-party profile, used until the server's arrives. */
export const DEFAULT_PROFILE: PublishProfile = {
  mode: "two-party",
  video: { width: 1280, height: 720, fps: 24, maxBitrate: 1_500_000, codec: "video/VP8" },
};

const SCREEN_MAX_BITRATE = 2_500_000;
const SCREEN_FPS = 15;

function isTrack(v: unknown): v is MediaStreamTrack {
  return typeof v === "object" && v !== null && "kind" in v && typeof (v as MediaStreamTrack).stop === "function";
}

export function audioConstraints(deviceId?: string): MediaTrackConstraints {
  const c: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (deviceId) c.deviceId = { exact: deviceId };
  return c;
}

export function videoConstraints(p: PublishProfile, deviceId?: string): MediaTrackConstraints {
  const c: MediaTrackConstraints = {
    width: { ideal: p.video.width },
    height: { ideal: p.video.height },
    frameRate: { ideal: p.video.fps, max: p.video.fps },
  };
  if (deviceId) c.deviceId = { exact: deviceId };
  return c;
}

/** Maps getUserMedia failures to SDK errors apps can explain. */
export function mediaError(err: unknown): HousecallError {
  const name = (err as { name?: string })?.name ?? "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return new HousecallError("media-denied", "camera or microphone access was refused", err);
  }
  return new HousecallError("media-unavailable", `camera or microphone unavailable (${name || String(err)})`, err);
}

export class Publisher {
  constructor(private readonly ctx: PublisherContext) {}

  /** Captures the requested devices with one getUserMedia call (one prompt). */
  async capture(audio: CaptureOption | undefined, video: CaptureOption | undefined): Promise<{ audio?: MediaStreamTrack; video?: MediaStreamTrack }> {
    const out: { audio?: MediaStreamTrack; video?: MediaStreamTrack } = {};
    const c: MediaStreamConstraints = {};
    if (isTrack(audio)) out.audio = audio;
    else if (audio) c.audio = audioConstraints(typeof audio === "object" ? audio.deviceId : undefined);
    if (isTrack(video)) out.video = video;
    else if (video) c.video = videoConstraints(this.ctx.profile(), typeof video === "object" ? video.deviceId : undefined);
    if (!c.audio && !c.video) return out;
    let stream: MediaStream;
    try {
      stream = await this.ctx.env.getUserMedia(c);
    } catch (err) {
      throw mediaError(err);
    }
    out.audio ??= stream.getAudioTracks()[0];
    out.video ??= stream.getVideoTracks()[0];
    return out;
  }

  private async captureOne(kind: "microphone" | "camera", deviceId?: string): Promise<MediaStreamTrack> {
    const got = kind === "microphone" ? await this.capture({ deviceId }, undefined) : await this.capture(undefined, { deviceId });
    const t = kind === "microphone" ? got.audio : got.video;
    if (!t) throw new HousecallError("media-unavailable", `no ${kind} track was captured`);
    return t;
  }

  /** Adds a track to the PeerConnection; the offer announces it. */
  publish(kind: TrackKind, track: MediaStreamTrack, muted = false): LocalPublication {
    const pub = new LocalPublication(kind, track);
    pub.muted = muted;
    if (kind === "microphone" && muted) track.enabled = false;
    this.ctx.local.publications.set(kind, pub);
    this.addTransceiver(pub, track);
    if (kind === "screen") track.addEventListener?.("ended", () => void this.unpublish("screen"));
    void this.ctx.negotiator()?.offer();
    return pub;
  }

  private addTransceiver(pub: LocalPublication, track: MediaStreamTrack): void {
    const neg = this.ctx.negotiator();
    if (!neg) return;
    const profile = this.ctx.profile();
    let encodings: RTCRtpEncodingParameters[];
    if (pub.kind === "camera" && profile.mode === "simulcast" && profile.layers && profile.layers.length > 1) {
      pub.simulcast = true;
      encodings = profile.layers.map((l) => ({
        rid: l.rid,
        active: true,
        scaleResolutionDownBy: l.scaleResolutionDownBy,
        maxBitrate: l.maxBitrate,
        maxFramerate: l.maxFramerate,
      }));
      pub.activeLayers = profile.layers.map((l) => l.rid);
    } else if (pub.kind === "camera") {
      pub.simulcast = false;
      encodings = [{ maxBitrate: profile.video.maxBitrate, maxFramerate: profile.video.fps }];
    } else if (pub.kind === "screen") {
      encodings = [{ maxBitrate: SCREEN_MAX_BITRATE, maxFramerate: SCREEN_FPS }];
      if ("contentHint" in track) track.contentHint = "detail";
    } else {
      encodings = [{}];
    }
    const stream = this.ctx.env.newMediaStream([track]);
    const tr = neg.pc.addTransceiver(track, { direction: "sendonly", streams: [stream], sendEncodings: encodings });
    pub.transceiver = tr;
    pub.trackId = "";
    if (pub.kind !== "microphone") preferCodec(tr, profile.video.codec || "video/VP8");
    if (pub.kind === "screen") {
      // Text on a shared screen must stay legible: drop frames, not pixels.
      void setDegradation(tr.sender, "maintain-resolution");
    } else if (pub.kind === "camera" && this.ctx.cameraDegradation) {
      void setDegradation(tr.sender, this.ctx.cameraDegradation);
    }
  }

  /**
   * Sends "publish" for each new transceiver of the offer: the server
   * tells tracks apart by the a=msid track id, so it is read from the SDP.
   */
  announce(sdp: string): void {
    const ids = msidByMid(sdp);
    for (const pub of this.ctx.local.publications.values()) {
      if (pub.trackId || !pub.transceiver?.mid) continue;
      const id = ids.get(pub.transceiver.mid);
      if (!id) continue;
      const st = pub.track?.getSettings?.() ?? {};
      const sent = this.ctx.send("publish", {
        trackId: id,
        kind: pub.kind,
        simulcast: pub.simulcast || undefined,
        muted: pub.muted || undefined,
        width: pub.kind === "microphone" ? undefined : st.width,
        height: pub.kind === "microphone" ? undefined : st.height,
      });
      if (!sent) continue; // announced with the next offer, after a resume
      pub.trackId = id;
      this.ctx.published(pub);
    }
  }

  /** Withdraws a publication and stops its capture. */
  async unpublish(kind: TrackKind): Promise<void> {
    const pub = this.ctx.local.publications.get(kind);
    if (!pub) return;
    this.ctx.local.publications.delete(kind);
    this.retire(pub);
    pub.track?.stop();
    pub.track = null;
    this.ctx.unpublished(pub);
    await this.ctx.negotiator()?.offer();
  }

  /** Stops sending a publication's transceiver and tells the server. */
  private retire(pub: LocalPublication): void {
    if (pub.trackId) this.ctx.send("unpublish", { trackId: pub.trackId });
    const tr = pub.transceiver;
    pub.transceiver = null;
    if (tr) {
      void tr.sender.replaceTrack(null).catch(() => {});
      try {
        tr.stop();
      } catch {
        try {
          tr.direction = "inactive";
        } catch {
          /* closed */
        }
      }
    }
  }

  /**
   * Mutes or unmutes. The microphone keeps capturing (instant unmute) with
   * its track disabled; the camera is released so that its light goes off,
   * and captured again on unmute. Neither renegotiates.
   */
  async setEnabled(kind: "microphone" | "camera", enabled: boolean): Promise<void> {
    let pub = this.ctx.local.publications.get(kind);
    if (!pub) {
      if (!enabled) return;
      const track = await this.captureOne(kind);
      this.publish(kind, track);
      return;
    }
    if (kind === "microphone") {
      if (pub.track) pub.track.enabled = enabled;
      else if (enabled) await this.replace(pub, await this.captureOne(kind, pub.deviceId));
    } else if (enabled && (!pub.track || pub.track.readyState === "ended")) {
      await this.replace(pub, await this.captureOne(kind, pub.deviceId));
    } else if (!enabled && pub.track) {
      await pub.transceiver?.sender.replaceTrack(null);
      pub.track.stop();
      pub.track = null;
    }
    pub = this.ctx.local.publications.get(kind);
    if (!pub) return;
    pub.muted = !enabled;
    if (pub.trackId) this.ctx.send("mute", { trackId: pub.trackId, muted: pub.muted });
    this.ctx.changed(pub);
  }

  /** Swaps the capture device in place (replaceTrack: no renegotiation). */
  async switchDevice(kind: "microphone" | "camera", deviceId: string): Promise<void> {
    const pub = this.ctx.local.publications.get(kind);
    if (!pub) {
      this.publish(kind, await this.captureOne(kind, deviceId));
      return;
    }
    if (pub.muted && kind === "camera") {
      pub.deviceId = deviceId; // captured from it on unmute
      return;
    }
    // Release the old device first: some cameras cannot be opened twice.
    const wasEnabled = pub.track?.enabled ?? true;
    pub.track?.stop();
    const track = await this.captureOne(kind, deviceId);
    track.enabled = wasEnabled;
    await this.replace(pub, track);
  }

  private async replace(pub: LocalPublication, track: MediaStreamTrack): Promise<void> {
    const old = pub.track;
    if (pub.transceiver) await pub.transceiver.sender.replaceTrack(track);
    pub.track = track;
    pub.deviceId = track.getSettings?.().deviceId ?? pub.deviceId;
    if (old && old !== track) old.stop();
    this.ctx.changed(pub);
  }

  /**
   * Follows a new publish profile: the camera is published again with
   * (or without) simulcast, as a new track, since the number of encodings
   * of a sender cannot change.
   */
  async applyProfile(): Promise<void> {
    const pub = this.ctx.local.publications.get("camera");
    if (!pub) return;
    const p = this.ctx.profile();
    const want = p.mode === "simulcast" && !!p.layers && p.layers.length > 1;
    if (pub.simulcast === want) return;
    this.retire(pub);
    const fresh = new LocalPublication("camera", pub.track);
    fresh.muted = pub.muted;
    fresh.deviceId = pub.deviceId;
    this.ctx.local.publications.set("camera", fresh);
    this.ctx.unpublished(pub);
    // A clone has a new id, so the server sees a new track; the old one
    // (sent by the retired transceiver) is released.
    const track = pub.track ? pub.track.clone() : null;
    if (pub.track) pub.track.stop();
    fresh.track = track;
    if (track) this.addTransceiver(fresh, track);
    else {
      // Camera off: publish on unmute, with the new profile.
      this.ctx.local.publications.delete("camera");
      return;
    }
    await this.ctx.negotiator()?.offer();
  }

  /** Pauses the simulcast layers nobody receives (layer-hint). */
  async applyLayerHint(trackId: string, active: string[]): Promise<void> {
    const pub = this.ctx.local.publications.get("camera");
    if (!pub || pub.trackId !== trackId || !pub.simulcast || !pub.transceiver) return;
    const params = pub.transceiver.sender.getParameters();
    let changed = false;
    for (const e of params.encodings ?? []) {
      const on = !e.rid || active.includes(e.rid);
      if (e.active !== on) {
        e.active = on;
        changed = true;
      }
    }
    if (!changed) return;
    await pub.transceiver.sender.setParameters(params);
    pub.activeLayers = active.slice();
  }

  /** After a resume: the server's record of our mute states may be stale. */
  resync(): void {
    for (const pub of this.ctx.local.publications.values()) {
      if (pub.trackId) this.ctx.send("mute", { trackId: pub.trackId, muted: pub.muted });
    }
  }

  /** Stops every capture (on disconnect). */
  stopAll(): void {
    for (const pub of this.ctx.local.publications.values()) pub.track?.stop();
  }
}

/** Puts the codec first in a transceiver's preferences, when supported. */
function preferCodec(tr: RTCRtpTransceiver, mime: string): void {
  const g = globalThis as unknown as { RTCRtpSender?: typeof RTCRtpSender; RTCRtpReceiver?: typeof RTCRtpReceiver };
  if (typeof tr.setCodecPreferences !== "function") return;
  const caps = g.RTCRtpReceiver?.getCapabilities?.("video") ?? g.RTCRtpSender?.getCapabilities?.("video");
  if (!caps) return;
  const want = mime.toLowerCase();
  const first = caps.codecs.filter((c) => c.mimeType.toLowerCase() === want);
  if (first.length === 0) return;
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== want);
  try {
    tr.setCodecPreferences([...first, ...rest]);
  } catch {
    /* the browser refused: its default order applies */
  }
}

async function setDegradation(sender: RTCRtpSender, pref: "balanced" | "maintain-framerate" | "maintain-resolution"): Promise<void> {
  try {
    const p = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: typeof pref };
    p.degradationPreference = pref;
    await sender.setParameters(p);
  } catch {
    /* unsupported: the browser's default applies */
  }
}
