// Reads the SDK's live participant objects into the plain PersonView data
// the screen renders, so that React sees a new value whenever the room
// changes and the SDK objects themselves stay out of component state.
import type { LocalParticipant, RemoteParticipant, TrackKind } from "@housecall/sdk";
import type { PersonView } from "./state";

/** The parts of a Room the snapshot reads (the SDK's Room satisfies it). */
export interface RoomLike {
  localParticipant: LocalParticipant;
  remoteParticipants: Map<string, RemoteParticipant>;
}

function trackKey(t: { id?: string } | null | undefined): string | null {
  return t ? t.id || "track" : null;
}

export function localView(lp: LocalParticipant, name: string, mutedBy?: string): PersonView {
  const mic = lp.publications.get("microphone");
  const cam = lp.publications.get("camera");
  const screen = lp.publications.get("screen");
  return {
    id: lp.id,
    name: name || lp.name,
    role: lp.role,
    isLocal: true,
    reconnecting: false,
    quality: lp.networkQuality,
    speaking: lp.isSpeaking,
    micMuted: !mic || mic.muted,
    mutedBy: mic?.muted ? mutedBy : undefined,
    camera: cam && !cam.muted ? trackKey(cam.track) : null,
    screen: screen ? trackKey(screen.track) : null,
    mic: null,
  };
}

function received(p: RemoteParticipant, kind: TrackKind): { key: string | null; muted: boolean; published: boolean } {
  for (const pub of p.publications.values()) {
    if (pub.kind !== kind) continue;
    return { key: pub.track ? trackKey(pub.track.mediaStreamTrack) ?? pub.trackId : null, muted: pub.muted, published: true };
  }
  return { key: null, muted: false, published: false };
}

export function remoteView(p: RemoteParticipant, mutedBy?: string): PersonView {
  const mic = received(p, "microphone");
  const cam = received(p, "camera");
  const screen = received(p, "screen");
  const micMuted = !mic.published || mic.muted;
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    isLocal: false,
    reconnecting: p.state === "reconnecting",
    quality: p.networkQuality,
    speaking: p.isSpeaking,
    micMuted,
    mutedBy: micMuted ? mutedBy : undefined,
    camera: cam.muted ? null : cam.key,
    screen: screen.muted ? null : screen.key,
    mic: mic.key,
  };
}

/** Everyone else in the room, in the order they joined. */
export function peopleOf(room: RoomLike, mutedBy: ReadonlyMap<string, string> = new Map()): PersonView[] {
  return [...room.remoteParticipants.values()].map((p) => remoteView(p, mutedBy.get(p.id)));
}
