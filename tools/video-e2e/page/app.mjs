// The test page: joins with the SDK served by the Housecall server and
// exposes a small API (window.e2e) that tools/video-e2e/run.mjs drives
// through page.evaluate. Each received video is shown with attach(), which
// also reports its rendered size to the server.
import * as HC from "/sdk/housecall.mjs";

const events = [];
let room = null;
const tiles = new Map();
const loadedAt = Date.now() + "-" + Math.random();

function note(name, detail = {}) {
  events.push({ name, t: Date.now(), ...detail });
  render();
}

function render() {
  const s = document.getElementById("state");
  if (!room) return;
  s.textContent = `state: ${room.state}  profile: ${room.profile.mode}  remote: ${[...room.remoteParticipants.keys()].join(", ")}\n` +
    events.slice(-6).map((e) => `${new Date(e.t).toISOString().slice(11, 23)} ${e.name} ${e.participant ?? ""} ${e.kind ?? ""} ${e.reason ?? ""}`).join("\n");
}

function tile(key, label, track) {
  const fig = document.createElement("figure");
  const v = document.createElement("video");
  const cap = document.createElement("figcaption");
  cap.textContent = label;
  fig.append(v, cap);
  document.getElementById("tiles").append(fig);
  const detach = HC.attach(track, v);
  tiles.set(key, { fig, detach });
}

function untile(key) {
  const t = tiles.get(key);
  if (!t) return;
  t.detach();
  t.fig.remove();
  tiles.delete(key);
}

window.e2e = {
  loadedAt,
  events: () => events,
  async join(joinResponse, options = {}) {
    room = await HC.connect(joinResponse, { audio: true, video: true, ...options });
    const lp = room.localParticipant;
    document.getElementById("who").textContent = `${lp.name || lp.id} (${lp.role})`;
    const self = () => {
      untile("self");
      const cam = lp.track("camera");
      if (cam) tile("self", "me", cam);
    };
    self();
    room.on("localTrackPublished", (pub) => { if (pub.kind === "camera") self(); note("localTrackPublished", { kind: pub.kind, trackId: pub.trackId, simulcast: pub.simulcast }); });
    room.on("localTrackUnpublished", (pub) => note("localTrackUnpublished", { kind: pub.kind, trackId: pub.trackId }));
    room.on("participantJoined", (p) => note("participantJoined", { participant: p.id }));
    room.on("participantLeft", (p, reason) => note("participantLeft", { participant: p.id, reason }));
    room.on("participantStateChanged", (p, state) => note("participantStateChanged", { participant: p.id, state }));
    room.on("trackSubscribed", (t, p) => {
      note("trackSubscribed", { participant: p.id, kind: t.kind, trackId: t.trackId });
      if (t.kind !== "microphone") tile(p.id + "/" + t.trackId, `${p.name || p.id} ${t.kind}`, t);
    });
    room.on("trackUnsubscribed", (t, p) => {
      note("trackUnsubscribed", { participant: p.id, kind: t.kind, trackId: t.trackId });
      untile(p.id + "/" + t.trackId);
    });
    room.on("publishProfile", (pr) => note("publishProfile", { mode: pr.mode }));
    room.on("activeSpeaker", (p) => note("activeSpeaker", { participant: p?.id ?? "" }));
    room.on("networkQuality", (p, score) => note("networkQuality", { participant: p.id, score }));
    room.on("chat", (m) => note("chat", { participant: m.from.id, text: m.text }));
    room.on("reconnecting", (reason) => note("reconnecting", { reason }));
    room.on("reconnected", () => note("reconnected"));
    room.on("disconnected", (reason) => note("disconnected", { reason }));
    room.on("error", (e) => note("error", { reason: e.code }));
    render();
    return { id: lp.id, role: lp.role, profile: room.profile.mode, remote: [...room.remoteParticipants.keys()] };
  },
  info() {
    return {
      loadedAt,
      state: room?.state,
      id: room?.localParticipant.id,
      profile: room?.profile.mode,
      remote: room ? [...room.remoteParticipants.values()].map((p) => ({ id: p.id, state: p.state, tracks: p.tracks.map((t) => t.kind) })) : [],
      local: room ? [...room.localParticipant.publications.values()].map((p) => ({ kind: p.kind, trackId: p.trackId, simulcast: p.simulcast })) : [],
    };
  },
  async stats() {
    const s = await room.getStats();
    return { inbound: s.inbound, outbound: s.outbound, connection: s.connection };
  },
  async shareScreen() {
    const pub = await room.publishScreen();
    return { trackId: pub.trackId, settings: pub.track?.getSettings?.() ?? {} };
  },
  async stopScreen() {
    await room.unpublishScreen();
  },
  async chat(text) {
    const m = await room.sendChat(text);
    return { id: m.id, text: m.text };
  },
  async leave() {
    await room?.disconnect();
  },
};
document.documentElement.dataset.ready = "1";
