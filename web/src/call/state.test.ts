import { describe, expect, it } from "vitest";
import {
  bannerOf,
  displayNameOf,
  emptyPerson,
  galleryColumns,
  initialState,
  initials,
  layoutOf,
  leaveReasonOf,
  MAX_CHAT,
  qualityLevel,
  reduce,
  spotlightOf,
  stripOf,
  type CallState,
  type ChatEntry,
  type PersonView,
} from "./state";

const person = (id: string, extra: Partial<PersonView> = {}): PersonView => ({ ...emptyPerson(id, id, false), ...extra });
const me = { ...emptyPerson("me", "Pat", true) };

function connected(people: PersonView[]): CallState {
  return reduce(initialState("Pat"), { type: "connected", me, people });
}

const msg = (id: string, local = false): ChatEntry => ({ id, text: "hi " + id, fromName: local ? "Pat" : "Dr Lee", local, time: new Date(0) });

describe("layout choice", () => {
  it("follows the room until the user picks one", () => {
    const two = connected([person("dr")]);
    expect(layoutOf(two)).toBe("speaker");
    const three = connected([person("dr"), person("interp")]);
    expect(layoutOf(three)).toBe("gallery");
    expect(layoutOf(connected([]))).toBe("speaker");
    const picked = reduce(three, { type: "layout", layout: "speaker" });
    expect(layoutOf(picked)).toBe("speaker");
    // The choice survives people coming and going.
    const later = reduce(picked, { type: "people", me, people: [person("dr"), person("interp"), person("fam")] });
    expect(layoutOf(later)).toBe("speaker");
  });

  it("switches to speaker view for a shared screen", () => {
    const s = connected([person("dr"), person("interp", { screen: "scr" })]);
    expect(layoutOf(s)).toBe("speaker");
    expect(spotlightOf(s)).toEqual({ id: "interp", screen: true });
    // The sharer's camera stays in the strip beside their screen, the self view last.
    expect(stripOf(s).map((p) => p.id)).toEqual(["dr", "interp", "me"]);
    const mine = connected([person("dr"), person("interp")]);
    expect(layoutOf({ ...mine, me: { ...me, screen: "x" } })).toBe("speaker");
  });

  it("puts the active speaker in the spotlight and keeps them there through silence", () => {
    let s = connected([person("dr"), person("interp")]);
    expect(spotlightOf(s).id).toBe("dr");
    s = reduce(s, { type: "speaker", id: "interp" });
    expect(spotlightOf(s)).toEqual({ id: "interp", screen: false });
    expect(stripOf(s).map((p) => p.id)).toEqual(["dr", "me"]);
    s = reduce(s, { type: "speaker", id: null });
    expect(spotlightOf(s).id).toBe("interp");
    // The local speaker never takes the spotlight from others.
    s = reduce(s, { type: "speaker", id: "me" });
    expect(spotlightOf(s).id).toBe("interp");
    // When the speaker leaves, the first remaining person takes over.
    s = reduce(s, { type: "people", me, people: [person("dr")] });
    expect(s.speaker).toBeNull();
    expect(spotlightOf(s).id).toBe("dr");
  });

  it("shows the self view large only when alone", () => {
    const s = connected([]);
    expect(spotlightOf(s)).toEqual({ id: "me", screen: false });
    expect(stripOf(s)).toEqual([]);
  });

  it("sizes the gallery grid, at most two columns on a phone", () => {
    expect([1, 2, 3, 4, 5, 9, 10].map((n) => galleryColumns(n, false))).toEqual([1, 2, 2, 2, 3, 3, 4]);
    expect([1, 2, 3, 6, 12].map((n) => galleryColumns(n, true))).toEqual([1, 1, 2, 2, 2]);
  });
});

describe("reconnect banner", () => {
  it("shows while the connection recovers, and only then", () => {
    let s = initialState("Pat");
    expect(bannerOf(s)).toBeNull();
    s = reduce(s, { type: "reconnecting" }); // not connected yet: nothing to recover
    expect(bannerOf(s)).toBeNull();
    s = connected([person("dr")]);
    s = reduce(s, { type: "reconnecting" });
    expect(s.phase).toBe("reconnecting");
    expect(bannerOf(s)).toBe("Reconnecting…");
    s = reduce(s, { type: "reconnected" });
    expect(bannerOf(s)).toBeNull();
    expect(s.phase).toBe("connected");
  });

  it("is gone when the call ends, and an ended call stays ended", () => {
    let s = reduce(connected([]), { type: "reconnecting" });
    s = reduce(s, { type: "ended", reason: "ended" });
    expect(bannerOf(s)).toBeNull();
    expect(reduce(s, { type: "reconnected" })).toBe(s);
    expect(reduce(s, { type: "people", me, people: [person("x")] })).toBe(s);
  });
});

describe("chat", () => {
  it("counts unread messages from others while the panel is closed", () => {
    let s = connected([person("dr")]);
    s = reduce(s, { type: "chat", message: msg("1") });
    s = reduce(s, { type: "chat", message: msg("2") });
    s = reduce(s, { type: "chat", message: msg("3", true) }); // one's own message is never unread
    expect(s.chat.unread).toBe(2);
    expect(s.chat.messages.map((m) => m.id)).toEqual(["1", "2", "3"]);
    s = reduce(s, { type: "chatOpen", open: true });
    expect(s.chat.unread).toBe(0);
    s = reduce(s, { type: "chat", message: msg("4") });
    expect(s.chat.unread).toBe(0);
    s = reduce(s, { type: "chatOpen", open: false });
    s = reduce(s, { type: "chat", message: msg("5") });
    expect(s.chat.unread).toBe(1);
  });

  it("ignores a message delivered twice and keeps the latest lines", () => {
    let s = connected([]);
    s = reduce(s, { type: "chat", message: msg("1") });
    const again = reduce(s, { type: "chat", message: msg("1") });
    expect(again).toBe(s);
    for (let i = 0; i < MAX_CHAT + 5; i++) s = reduce(s, { type: "chat", message: msg(`n${i}`) });
    expect(s.chat.messages).toHaveLength(MAX_CHAT);
    expect(s.chat.messages.at(-1)?.id).toBe(`n${MAX_CHAT + 4}`);
  });
});

describe("words", () => {
  it("maps scores to good, fair and poor", () => {
    expect([5, 4, 3, 2, 1, 0].map((n) => qualityLevel(n))).toEqual(["good", "good", "fair", "poor", "poor", "poor"]);
    expect(qualityLevel(-1)).toBe("good");
    expect(qualityLevel(5, true)).toBe("poor");
  });

  it("tells leaving, ending and removal apart from failures", () => {
    expect(leaveReasonOf("client")).toBe("left");
    expect(leaveReasonOf("room-closed")).toBe("ended");
    expect(leaveReasonOf("removed")).toBe("removed");
    expect(leaveReasonOf("reconnect-failed")).toBeNull();
    expect(leaveReasonOf("replaced")).toBeNull();
  });

  it("names people", () => {
    expect(initials("Ana María López")).toBe("AL");
    expect(initials("  ")).toBe("?");
    expect(displayNameOf({ name: "Pat", role: "", isLocal: true })).toBe("Pat (you)");
    expect(displayNameOf({ name: "", role: "guest", isLocal: false })).toBe("Guest");
    expect(displayNameOf({ name: "", role: "host", isLocal: false })).toBe("Provider");
  });
});
