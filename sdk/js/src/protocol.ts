// Wire types of the /rtc signalling protocol. They mirror internal/signal
// (types.go is the source of truth; docs/signalling.md documents it): every
// message is one JSON object {"v": 1, "type": …, "id"?: …, "data": …} in one
// WebSocket text frame.

/** Protocol version carried in every message's "v". */
export const PROTOCOL_VERSION = 1;

export type TrackKind = "camera" | "microphone" | "screen";
export type ParticipantState = "active" | "reconnecting";
export type PublishMode = "two-party" | "simulcast";

/** Machine-readable reasons of server errors (signal.Code). */
export type ErrorCode =
  | "bad-request"
  | "unsupported-version"
  | "unauthorized"
  | "forbidden"
  | "room-full"
  | "room-closed"
  | "not-found"
  | "resume-failed"
  | "replaced"
  | "removed"
  | "timeout"
  | "negotiation-failed"
  | "chat-failed"
  | "rate-limited"
  | "internal";

export interface WireTrack {
  id: string;
  kind: TrackKind;
  muted?: boolean;
  simulcast?: boolean;
  codec?: string;
}

export interface WireParticipant {
  id: string;
  name?: string;
  role: string;
  state: ParticipantState;
  tracks: WireTrack[];
}

export interface WireICEServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface VideoProfile {
  width: number;
  height: number;
  fps: number;
  maxBitrate: number;
  codec: string;
}

export interface Layer {
  rid: string;
  scaleResolutionDownBy: number;
  maxBitrate: number;
  maxFramerate: number;
}

export interface PublishProfile {
  mode: PublishMode;
  video: VideoProfile;
  layers?: Layer[];
}

export interface TrackRef {
  participantId: string;
  trackId: string;
  kind: TrackKind;
}

export interface ParticipantRef {
  id: string;
  name?: string;
  role?: string;
}

// Client → server payloads.
export interface JoinData {
  token: string;
  sdk?: string;
}
export interface ResumeData {
  token: string;
  participantId: string;
  resumeSecret: string;
}
export interface PublishData {
  trackId: string;
  kind: TrackKind;
  simulcast?: boolean;
  muted?: boolean;
  width?: number;
  height?: number;
}
export interface UnpublishData {
  trackId: string;
}
export interface SubscriptionData {
  participantId: string;
  trackId: string;
  width: number;
  height: number;
  paused?: boolean;
}
export interface RemoveData {
  participantId: string;
  reason?: string;
}
export interface LeaveData {
  reason?: string;
}

// Payloads in both directions.
export interface SessionDescriptionData {
  sdp: string;
  iceRestart?: boolean;
  tracks?: Record<string, TrackRef>;
}
export interface CandidateData {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}
export interface MuteData {
  participantId?: string;
  trackId?: string;
  kind?: TrackKind;
  muted: boolean;
  by?: string;
}
export interface ChatData {
  text: string;
  messageId?: string;
  from?: ParticipantRef;
  time?: number;
}

// Server → client payloads.
export interface JoinedData {
  participantId: string;
  resumeSecret: string;
  roomId: string;
  name?: string;
  role: string;
  canPublish: boolean;
  canModerate: boolean;
  resumed?: boolean;
  participants: WireParticipant[];
  iceServers: WireICEServer[];
  profile: PublishProfile;
  reconnectGraceMs: number;
  activeSpeaker?: string;
}
export interface ParticipantJoinedData {
  participant: WireParticipant;
}
export interface ParticipantLeftData {
  participantId: string;
  reason?: string;
}
export interface ParticipantStateData {
  participantId: string;
  state: ParticipantState;
}
export interface TrackPublishedData {
  participantId: string;
  track: WireTrack;
}
export interface TrackUnpublishedData {
  participantId: string;
  trackId: string;
}
export interface ActiveSpeakerData {
  participantId: string;
  speakers?: { participantId: string; level: number }[];
}
export interface NetworkQualityData {
  scores: { participantId: string; score: number }[];
}
export interface LayerHintData {
  trackId: string;
  active: string[];
}
export interface LayerChangedData {
  participantId: string;
  trackId: string;
  rid: string;
}
export interface RoomClosedData {
  reason?: string;
}
export interface ErrorData {
  code: ErrorCode | string;
  message: string;
  ref?: string;
  fatal?: boolean;
}

/** Payload type of each message type. */
export interface MessageData {
  join: JoinData;
  resume: ResumeData;
  publish: PublishData;
  unpublish: UnpublishData;
  subscription: SubscriptionData;
  remove: RemoveData;
  leave: LeaveData;
  offer: SessionDescriptionData;
  answer: SessionDescriptionData;
  candidate: CandidateData;
  mute: MuteData;
  chat: ChatData;
  joined: JoinedData;
  "participant-joined": ParticipantJoinedData;
  "participant-left": ParticipantLeftData;
  "participant-state": ParticipantStateData;
  "track-published": TrackPublishedData;
  "track-unpublished": TrackUnpublishedData;
  "active-speaker": ActiveSpeakerData;
  "network-quality": NetworkQualityData;
  "publish-profile": PublishProfile;
  "layer-hint": LayerHintData;
  "layer-changed": LayerChangedData;
  "room-closed": RoomClosedData;
  error: ErrorData;
  ping: Record<string, never>;
  pong: Record<string, never>;
}

export type MessageType = keyof MessageData;

/** Types a client may send. */
export type ClientMessageType =
  | "join"
  | "resume"
  | "publish"
  | "unpublish"
  | "subscription"
  | "remove"
  | "leave"
  | "offer"
  | "answer"
  | "candidate"
  | "mute"
  | "chat"
  | "ping";

/** A decoded message, discriminated by type. */
export type Message = { [T in MessageType]: { type: T; id?: string; data: MessageData[T] } }[MessageType];

const serverTypes: ReadonlySet<string> = new Set<MessageType>([
  "offer",
  "answer",
  "candidate",
  "mute",
  "chat",
  "joined",
  "participant-joined",
  "participant-left",
  "participant-state",
  "track-published",
  "track-unpublished",
  "active-speaker",
  "network-quality",
  "publish-profile",
  "layer-hint",
  "layer-changed",
  "room-closed",
  "error",
  "pong",
]);

/** A message the SDK could not accept. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Encodes one client message. */
export function encode<T extends ClientMessageType>(type: T, data: MessageData[T], id?: string): string {
  const env: { v: number; type: T; id?: string; data: MessageData[T] } = { v: PROTOCOL_VERSION, type, data };
  if (id) env.id = id;
  return JSON.stringify(env);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function need(cond: boolean, what: string): void {
  if (!cond) throw new ProtocolError(what);
}

/**
 * Decodes and checks one server message: the version, a known server type,
 * and the fields the SDK relies on. Unknown fields are ignored, as the
 * protocol allows minor additions.
 */
export function decode(text: string): Message {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError("message is not JSON");
  }
  need(isObject(raw), "message is not an object");
  const env = raw as Record<string, unknown>;
  need(env.v === PROTOCOL_VERSION, `unsupported protocol version ${String(env.v)}`);
  need(typeof env.type === "string" && serverTypes.has(env.type), `unknown message type ${String(env.type).slice(0, 40)}`);
  need(env.id === undefined || typeof env.id === "string", "id must be a string");
  const data = env.data === undefined || env.data === null ? {} : env.data;
  need(isObject(data), `data of ${env.type} must be an object`);
  const d = data as Record<string, unknown>;
  const str = (k: string) => need(typeof d[k] === "string", `${env.type}: ${k} must be a string`);
  const arr = (k: string) => need(Array.isArray(d[k]), `${env.type}: ${k} must be an array`);
  switch (env.type as MessageType) {
    case "offer":
    case "answer":
      str("sdp");
      need(d.tracks === undefined || isObject(d.tracks), `${env.type}: tracks must be an object`);
      break;
    case "candidate":
      str("candidate");
      break;
    case "joined":
      str("participantId");
      str("resumeSecret");
      str("roomId");
      if (d.participants === undefined || d.participants === null) d.participants = [];
      if (d.iceServers === undefined || d.iceServers === null) d.iceServers = [];
      arr("participants");
      arr("iceServers");
      need(isObject(d.profile), "joined: profile must be an object");
      for (const p of d.participants as unknown[]) checkParticipant(p);
      break;
    case "participant-joined":
      need(isObject(d.participant), "participant-joined: participant must be an object");
      checkParticipant(d.participant);
      break;
    case "participant-left":
    case "participant-state":
      str("participantId");
      break;
    case "track-published":
      str("participantId");
      need(isObject(d.track) && typeof (d.track as Record<string, unknown>).id === "string", "track-published: track.id");
      break;
    case "track-unpublished":
    case "layer-changed":
      str("participantId");
      str("trackId");
      break;
    case "network-quality":
      if (d.scores === undefined || d.scores === null) d.scores = [];
      arr("scores");
      break;
    case "publish-profile":
      need(d.mode === "two-party" || d.mode === "simulcast", "publish-profile: mode");
      need(isObject(d.video), "publish-profile: video");
      break;
    case "layer-hint":
      str("trackId");
      if (d.active === undefined || d.active === null) d.active = [];
      arr("active");
      break;
    case "chat":
      str("text");
      break;
    case "mute":
      need(typeof d.muted === "boolean", "mute: muted must be a boolean");
      break;
    case "error":
      str("code");
      if (typeof d.message !== "string") d.message = "";
      break;
    default:
      break;
  }
  return { type: env.type, id: env.id, data } as Message;
}

function checkParticipant(p: unknown): void {
  need(isObject(p) && typeof p.id === "string", "participant without id");
  const w = p as Record<string, unknown>;
  if (w.tracks === undefined || w.tracks === null) w.tracks = [];
  need(Array.isArray(w.tracks), "participant tracks must be an array");
  if (w.state !== "reconnecting") w.state = "active";
}

/** Fatal error codes: the server closes the connection after them. */
export const FATAL_CODES: ReadonlySet<string> = new Set([
  "bad-request",
  "unsupported-version",
  "unauthorized",
  "room-full",
  "room-closed",
  "resume-failed",
  "replaced",
  "removed",
  "timeout",
  "rate-limited",
]);
