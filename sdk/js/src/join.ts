// Reading the Telemed join answer (GET /v1/telemed/v2/meeting/{id}/join,
// POST /v1/telemed/guest/join): Chime field names, see docs/telemed.md.

import { HousecallError } from "./errors.js";

/** The join answer as the Telemed API returns it. */
export interface JoinResponse {
  Meeting: {
    MeetingId: string;
    ExternalMeetingId?: string;
    MediaRegion?: string;
    MediaPlacement: {
      SignalingUrl: string;
      IceServers?: { urls: string | string[]; username?: string; credential?: string }[];
      [k: string]: unknown;
    };
  };
  Attendee: {
    AttendeeId?: string;
    ExternalUserId?: string;
    JoinToken: string;
    Capabilities?: Record<string, string>;
  };
}

/** What the SDK needs from a join answer. */
export interface JoinInfo {
  signalingUrl: string;
  token: string;
  meetingId: string;
  encounterId: string;
  attendeeId: string;
  externalUserId: string;
  iceServers: RTCIceServer[];
}

export function parseJoinResponse(j: unknown): JoinInfo {
  const bad = (what: string) => new HousecallError("invalid-join-response", `not a Telemed join answer: ${what}`);
  if (typeof j !== "object" || j === null) throw bad("not an object");
  const r = j as Partial<JoinResponse>;
  const url = r.Meeting?.MediaPlacement?.SignalingUrl;
  const token = r.Attendee?.JoinToken;
  if (typeof url !== "string" || !/^wss?:\/\//.test(url)) throw bad("Meeting.MediaPlacement.SignalingUrl must be a ws:// or wss:// URL");
  if (typeof token !== "string" || token === "") throw bad("Attendee.JoinToken is missing");
  const ice: RTCIceServer[] = [];
  for (const s of r.Meeting?.MediaPlacement?.IceServers ?? []) {
    const urls = Array.isArray(s.urls) ? s.urls : [s.urls];
    if (urls.length === 0 || urls.some((u) => typeof u !== "string")) continue;
    ice.push({ urls, username: s.username, credential: s.credential });
  }
  return {
    signalingUrl: url,
    token,
    meetingId: r.Meeting?.MeetingId ?? "",
    encounterId: r.Meeting?.ExternalMeetingId ?? "",
    attendeeId: r.Attendee?.AttendeeId ?? "",
    externalUserId: r.Attendee?.ExternalUserId ?? "",
    iceServers: ice,
  };
}
