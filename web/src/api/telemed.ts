// The Telemed API (docs/telemed.md, docs/visit-flow.md): meetings, joins,
// invitations, the waiting room.
import type { JoinResponse } from "@housecall/sdk";
import type { Http } from "./http";
import type { Resource } from "./fhir";

export interface InviteSession {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  encounterId: string;
  meetingId: string;
  role: "patient" | "interpreter" | "family";
  name: string;
  profile: string;
  patient?: string;
  waitingRoom: boolean;
  status: string;
  start?: string;
  practitioners: { reference: string; display?: string }[];
  /** The media server and its STUN/TURN servers, for the pre-call network test before admission. */
  mediaPlacement?: { SignalingUrl: string; IceServers?: { urls: string[] | string; username?: string; credential?: string }[] };
}

export interface Invitation {
  id: string;
  name: string;
  role: string;
  relatedPerson?: string;
  url: string;
  token: string;
  expiresAt: string;
  emailed?: boolean;
}

export interface WaitingState {
  state: "waiting" | "admitted" | "left";
  position: number;
  providerPresent: boolean;
  message?: { text: string; time: string };
  arrivedAt: string;
  admittedAt?: string;
}

export interface WaitingEntry {
  key: string;
  profile?: string;
  name: string;
  role: "patient" | "interpreter" | "family";
  state: "waiting" | "admitted" | "left";
  present: boolean;
  arrivedAt: string;
  admittedAt?: string;
  message?: { text: string; time: string };
  encounterId?: string;
}

const v2 = "/v1/telemed/v2/meeting";
const enc = encodeURIComponent;

export class Telemed {
  constructor(private readonly http: Http) {}

  createMeeting(encounter: Resource, opts: { waitingRoom?: boolean } = {}): Promise<{ encounter: Resource }> {
    return this.http.post(v2, { encounter, waitingRoom: opts.waitingRoom ?? true });
  }

  join(encounterId: string): Promise<JoinResponse> {
    return this.http.get(`${v2}/${enc(encounterId)}/join`);
  }

  end(encounterId: string): Promise<{ encounter: Resource }> {
    return this.http.post(`${v2}/${enc(encounterId)}/end`, {});
  }

  invite(encounterId: string, req: { name?: string; role: "patient" | "interpreter" | "family"; email?: string; ttlMinutes?: number }): Promise<Invitation> {
    return this.http.post(`${v2}/${enc(encounterId)}/invite`, req);
  }

  revokeInvite(encounterId: string, inviteId: string): Promise<void> {
    return this.http.delete(`${v2}/${enc(encounterId)}/invite/${enc(inviteId)}`);
  }

  inviteSession(invite: string): Promise<InviteSession> {
    return this.http.post("/v1/telemed/invite/session", { invite });
  }

  checkIn(encounterId: string, name?: string): Promise<WaitingState> {
    return this.http.post(`${v2}/${enc(encounterId)}/check-in`, name ? { name } : {});
  }

  waitingState(encounterId: string): Promise<WaitingState> {
    return this.http.get(`${v2}/${enc(encounterId)}/waiting-room`);
  }

  waitingEntries(encounterId: string): Promise<{ waitingRoom: boolean; entries: WaitingEntry[] }> {
    return this.http.get(`${v2}/${enc(encounterId)}/waiting-room`);
  }

  allWaiting(): Promise<{ entries: WaitingEntry[] }> {
    return this.http.get("/v1/telemed/waiting-room");
  }

  admit(encounterId: string, participant: string): Promise<WaitingEntry> {
    return this.http.post(`${v2}/${enc(encounterId)}/admit`, { participant });
  }

  waitMessage(encounterId: string, message: string, participant?: string): Promise<{ sent: number }> {
    return this.http.post(`${v2}/${enc(encounterId)}/wait-message`, participant ? { participant, message } : { message });
  }
}
