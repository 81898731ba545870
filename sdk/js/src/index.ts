// Housecall JavaScript SDK: video visits from a Telemed join answer.
//
//   import { connect, preCallCheck } from "/sdk/housecall.mjs";
//   const room = await connect(joinResponse, { audio: true, video: true });
//
// See sdk/js/README.md.

export { connect, Room, SDK_VERSION } from "./room.js";
export type { ConnectOptions, ConnectionState, ChatMessage, MuteInfo, RoomEvents } from "./room.js";
export { RemoteParticipant, RemoteTrack, LocalParticipant, LocalPublication } from "./participants.js";
export type { RemotePublication } from "./participants.js";
export { attach } from "./attach.js";
export type { AttachOptions } from "./attach.js";
export { HousecallError } from "./errors.js";
export type { ClientErrorCode } from "./errors.js";
export { parseJoinResponse } from "./join.js";
export type { JoinResponse, JoinInfo } from "./join.js";
export { preCallCheck, checkBrowser, verdict, startPreview, createAudioLevelMeter } from "./precall.js";
export type { PreCallResult, PreCallOptions, BrowserCheck, DeviceCheck, DeviceInfo, NetworkCheck, Verdict } from "./precall.js";
export type { RoomStats, InboundStats, OutboundStats, ConnectionStats } from "./stats.js";
export { PROTOCOL_VERSION } from "./protocol.js";
export type { TrackKind, PublishProfile, ErrorCode } from "./protocol.js";
export type { CaptureOption } from "./publisher.js";
