import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { SubscribeOptions } from "../api/events";
import { setSession } from "../auth/session";
import { resetInvitationForTests } from "../patient/invitation";
import GuestApp from "./index";
import { nameProblem } from "./NameStep";

vi.mock("../call", () => ({
  DeviceCheck: (p: { role: string; onReady: (d: object) => void }) => <button onClick={() => p.onReady({})}>Continue ({p.role})</button>,
  CallView: (p: { role: string; displayName: string; onLeft: (r: string) => void }) => (
    <div>
      <p>
        In the call as {p.displayName} ({p.role})
      </p>
      <button onClick={() => p.onLeft("ended")}>Provider ends</button>
    </div>
  ),
}));

let stream: SubscribeOptions | null = null;
vi.mock("../api/events", () => ({
  subscribe: (_h: unknown, o: SubscribeOptions) => {
    stream = o;
    return { close: () => undefined };
  },
}));

const session = {
  access_token: "tok",
  token_type: "Bearer",
  expires_in: 3600,
  scope: "",
  encounterId: "e1",
  meetingId: "m1",
  role: "interpreter",
  name: "Interpreter",
  profile: "RelatedPerson/9",
  waitingRoom: true,
  status: "arrived",
  practitioners: [{ reference: "Practitioner/5", display: "Dr Lee" }],
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("guest path", () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    resetInvitationForTests();
    setSession(null);
    stream = null;
    fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === "/v1/telemed/invite/session") return json(200, session);
      if (url.endsWith("/check-in")) return json(200, { state: "waiting", position: 1, providerPresent: true, arrivedAt: new Date().toISOString(), echo: init?.body });
      return json(404, { code: 404, message: "not found" });
    });
    vi.stubGlobal("fetch", fetchMock);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.replaceState(null, "", "/");
  });

  it("asks for the name, checks devices, waits with that name and joins when admitted", async () => {
    const user = userEvent.setup({ delay: null });
    window.history.replaceState(null, "", "/visit/guest#invite=g-token");
    render(<GuestApp />);
    await screen.findByRole("heading", { name: "Join a video visit" });
    expect(window.location.hash).toBe("");
    const name = screen.getByRole("textbox", { name: "Your name" }) as HTMLInputElement;
    expect(name.value).toBe("Interpreter");

    await user.clear(name);
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(screen.getByText("Please enter your name so the others know who joined.")).toBeTruthy();
    await user.type(name, "Ibrahim");
    await user.click(screen.getByRole("button", { name: "Continue" }));

    await user.click(screen.getByRole("button", { name: "Continue (guest)" }));
    await screen.findByRole("heading", { name: "Waiting room" });
    const checkIn = fetchMock.mock.calls.find((c) => String(c[0]).endsWith("/check-in"))!;
    expect(checkIn[0]).toBe("/v1/telemed/v2/meeting/e1/check-in");
    expect(JSON.parse(String((checkIn[1] as RequestInit).body))).toEqual({ name: "Ibrahim" });
    expect((checkIn[1] as RequestInit).headers).toMatchObject({ Authorization: "Bearer tok" });

    act(() =>
      stream!.onEvent({ id: "1", type: "waiting.admitted", time: "", encounterId: "e1", participant: { key: "k", profile: "RelatedPerson/9", name: "Ibrahim", role: "interpreter" } }),
    );
    expect(await screen.findByText("In the call as Ibrahim (guest)")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Provider ends" }));
    expect(screen.getByRole("heading", { name: "This visit has ended" })).toBeTruthy();
  }, 30_000);

  it("says a link for an ended visit is over", async () => {
    fetchMock.mockImplementation(async () => json(410, { code: 410, message: "this visit has ended" }));
    window.history.replaceState(null, "", "/visit/guest#invite=late");
    render(<GuestApp />);
    expect(await screen.findByRole("heading", { name: "This visit has ended" })).toBeTruthy();
    expect(screen.getByText(/Thank you — you can close this page/)).toBeTruthy();
  });

  it("checks the typed name", () => {
    expect(nameProblem("  ")).toMatch(/enter your name/);
    expect(nameProblem("x".repeat(201))).toBe("Use at most 200 characters.");
    expect(nameProblem("Ibrahim")).toBe("");
  });
});
