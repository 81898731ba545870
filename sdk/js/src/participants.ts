// The people in a room as the SDK shows them to apps: the local participant
// with what it publishes, and remote participants with their publications
// and the tracks received from them.

import { attachVideo, type AttachOptions } from "./attach.js";
import type { ParticipantState, TrackKind, WireParticipant, WireTrack } from "./protocol.js";

/** What a RemoteTrack needs of the room it belongs to. */
export interface TrackOwner {
  setRenderedSize(participantId: string, trackId: string, width: number, height: number, paused?: boolean): void;
}

/** A track received from a remote participant. */
export class RemoteTrack {
  /** The simulcast layer received ("q", "h", "f"), "" without simulcast, "off" when paused. */
  layer = "";

  constructor(
    readonly participant: RemoteParticipant,
    /** The publisher's track id (the server's name for it). */
    readonly trackId: string,
    readonly kind: TrackKind,
    /** The browser track; add it to a MediaStream or use attach(). */
    readonly mediaStreamTrack: MediaStreamTrack,
    /** A stream holding only this track, ready for srcObject. */
    readonly stream: MediaStream | null,
    /** The transceiver's mid, for statistics. */
    readonly mid: string | null,
    private readonly owner: TrackOwner,
  ) {}

  get muted(): boolean {
    return this.participant.publications.get(this.trackId)?.muted ?? false;
  }

  get isVideo(): boolean {
    return this.kind !== "microphone";
  }

  /**
   * Shows the track in a media element and, for video, reports its
   * rendered size (so that the server sends the simulcast layer that fits)
   * as the element resizes or goes out of view. Returns a detach function.
   */
  attach(el: HTMLMediaElement, opts?: AttachOptions): () => void {
    return attachVideo(this, el, opts);
  }

  /** Reports the size this track is shown at, in device pixels (0×0 or paused: not shown). */
  setRenderedSize(width: number, height: number, paused = false): void {
    this.owner.setRenderedSize(this.participant.id, this.trackId, width, height, paused);
  }
}

/** A track a remote participant publishes (received or not yet). */
export interface RemotePublication {
  trackId: string;
  kind: TrackKind;
  muted: boolean;
  simulcast: boolean;
  codec: string;
  /** The received track, once subscribed. */
  track: RemoteTrack | null;
}

/** Someone else in the room. */
export class RemoteParticipant {
  name: string;
  role: string;
  state: ParticipantState;
  /** 0 (lost) to 5 (excellent); -1 until the server reports it. */
  networkQuality = -1;
  /** Smoothed audio level 0–1 from the server's speaker detection. */
  audioLevel = 0;
  isSpeaking = false;
  readonly publications = new Map<string, RemotePublication>();

  constructor(
    readonly id: string,
    w: WireParticipant,
  ) {
    this.name = w.name ?? "";
    this.role = w.role;
    this.state = w.state;
    for (const t of w.tracks) this.addPublication(t);
  }

  /** Received tracks. */
  get tracks(): RemoteTrack[] {
    const out: RemoteTrack[] = [];
    for (const p of this.publications.values()) if (p.track) out.push(p.track);
    return out;
  }

  /** The received track of a kind (camera, microphone, screen), if any. */
  track(kind: TrackKind): RemoteTrack | null {
    for (const p of this.publications.values()) if (p.kind === kind && p.track) return p.track;
    return null;
  }

  /** @internal */
  addPublication(t: WireTrack): RemotePublication {
    const existing = this.publications.get(t.id);
    if (existing) {
      existing.muted = !!t.muted;
      existing.simulcast = !!t.simulcast;
      existing.codec = t.codec ?? existing.codec;
      return existing;
    }
    const p: RemotePublication = {
      trackId: t.id,
      kind: t.kind,
      muted: !!t.muted,
      simulcast: !!t.simulcast,
      codec: t.codec ?? "",
      track: null,
    };
    this.publications.set(t.id, p);
    return p;
  }
}

/** A track the local participant publishes. */
export class LocalPublication {
  /** The id the server knows the track by (the SDP's msid), set once offered. */
  trackId = "";
  /** The captured track; null while the camera is off. */
  track: MediaStreamTrack | null;
  muted = false;
  simulcast = false;
  /** Simulcast layers active now (layer hints), by rid. */
  activeLayers: string[] = [];
  /** @internal */
  transceiver: RTCRtpTransceiver | null = null;
  /** @internal the constraints the track was captured with. */
  deviceId: string | undefined;

  constructor(
    readonly kind: TrackKind,
    track: MediaStreamTrack | null,
  ) {
    this.track = track;
    this.deviceId = track?.getSettings?.().deviceId;
  }
}

/** The participant on this device. */
export class LocalParticipant {
  id = "";
  name = "";
  role = "";
  canPublish = false;
  canModerate = false;
  /** 0 (lost) to 5 (excellent); -1 until the server reports it. */
  networkQuality = -1;
  audioLevel = 0;
  isSpeaking = false;
  readonly publications = new Map<TrackKind, LocalPublication>();

  /** The captured track of a kind, if published. */
  track(kind: TrackKind): MediaStreamTrack | null {
    return this.publications.get(kind)?.track ?? null;
  }

  get isMicrophoneEnabled(): boolean {
    const p = this.publications.get("microphone");
    return !!p && !p.muted;
  }

  get isCameraEnabled(): boolean {
    const p = this.publications.get("camera");
    return !!p && !p.muted;
  }

  get isScreenShared(): boolean {
    return this.publications.has("screen");
  }
}
