// The public shapes of a room: connect() options and the events a room emits.

import type { Env } from "./env.js";
import type { HousecallError } from "./errors.js";
import type { LocalParticipant, LocalPublication, RemoteParticipant, RemotePublication, RemoteTrack } from "./participants.js";
import type { PublishProfile, TrackKind } from "./protocol.js";
import type { CaptureOption } from "./publisher.js";

export interface ConnectOptions {
  /** Publish the microphone: true, { deviceId }, a track of your own, or false. Default true. */
  audio?: CaptureOption;
  /** Publish the camera: true, { deviceId }, a track of your own, or false. Default true. */
  video?: CaptureOption;
  /** Join with the microphone muted / the camera off (published, not sent). */
  startMuted?: { audio?: boolean; video?: boolean };
  /**
   * What the camera gives up first when bandwidth or CPU run short: the
   * browser's default "balanced", "maintain-resolution" (keep detail, drop
   * frames; for examinations) or "maintain-framerate".
   */
  videoDegradationPreference?: "balanced" | "maintain-framerate" | "maintain-resolution";
  /** Send all media through the TURN relay (iceTransportPolicy "relay"). */
  forceRelay?: boolean;
  /** Replace the ICE servers of the join answer and of the server. */
  iceServers?: RTCIceServer[];
  /** How long connect() waits for media to flow (default 20 s). */
  connectTimeoutMs?: number;
  /** How long ICE may stay "disconnected" before the SDK reconnects (default 3 s). */
  iceDisconnectedTimeoutMs?: number;
  /** How long nothing may arrive from the server before the SDK reconnects (default 3 s; 0 turns the watchdog off). */
  mediaTimeoutMs?: number;
  /**
   * How long the signalling connection may stay silent — the SDK pings the
   * server every third of this — before the SDK reconnects (default 15 s;
   * 0 turns the keepalive off).
   */
  signallingTimeoutMs?: number;
  /**
   * Pause the simulcast layers the server reports nobody receives
   * (layer-hint), saving the publisher's uplink and CPU; the server asks
   * for them again when a subscriber needs them (default true).
   */
  pauseUnusedLayers?: boolean;
  /** Test seam: replaces browser APIs (WebSocket, RTCPeerConnection, media, clock). */
  env?: Partial<Env>;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface ChatMessage {
  id: string;
  text: string;
  from: { id: string; name: string; role: string };
  time: Date;
  /** Sent by this participant. */
  local: boolean;
}

export interface MuteInfo {
  participant: RemoteParticipant | LocalParticipant;
  kind: TrackKind;
  trackId: string;
  /** The moderator who muted, when it was not the participant's own doing. */
  by?: string;
}

export interface RoomEvents {
  participantJoined: (p: RemoteParticipant) => void;
  participantLeft: (p: RemoteParticipant, reason: string) => void;
  participantStateChanged: (p: RemoteParticipant, state: "active" | "reconnecting") => void;
  trackPublished: (pub: RemotePublication, p: RemoteParticipant) => void;
  trackUnpublished: (pub: RemotePublication, p: RemoteParticipant) => void;
  trackSubscribed: (track: RemoteTrack, p: RemoteParticipant) => void;
  trackUnsubscribed: (track: RemoteTrack, p: RemoteParticipant) => void;
  trackMuted: (info: MuteInfo) => void;
  trackUnmuted: (info: MuteInfo) => void;
  activeSpeaker: (p: RemoteParticipant | LocalParticipant | null, levels: { participantId: string; level: number }[]) => void;
  networkQuality: (p: RemoteParticipant | LocalParticipant, score: number) => void;
  chat: (m: ChatMessage) => void;
  publishProfile: (profile: PublishProfile) => void;
  layerChanged: (track: RemoteTrack, rid: string) => void;
  localTrackPublished: (pub: LocalPublication) => void;
  localTrackUnpublished: (pub: LocalPublication) => void;
  localTrackChanged: (pub: LocalPublication) => void;
  reconnecting: (reason: string) => void;
  reconnected: () => void;
  disconnected: (reason: string, error?: HousecallError) => void;
  /** A non-fatal server error (for example a refused chat message). */
  error: (err: HousecallError) => void;
}

