import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Http } from "../../api/http";
import { Fhir } from "../../api/fhir";
import { AdminApi } from "../api";
import { CreateUserDialog } from "./CreateUserDialog";

afterEach(() => vi.unstubAllGlobals());

function setup(answer: () => Response) {
  const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => answer());
  vi.stubGlobal("fetch", fetchMock);
  const http = new Http(async () => "tok");
  const onCreated = vi.fn();
  render(<CreateUserDialog api={new AdminApi(http)} fhir={new Fhir(http)} onClose={() => undefined} onCreated={onCreated} />);
  const user = userEvent.setup({ delay: null });
  // Pasting keeps the test quick; the form reacts to each change the same way.
  async function fill(label: RegExp, text: string) {
    await user.click(screen.getByLabelText(label));
    await user.paste(text);
  }
  return { fetchMock, onCreated, user, fill };
}

describe("CreateUserDialog", { timeout: 20_000 }, () => {
  it("shows what to fix and sends nothing while the form is invalid", async () => {
    const { fetchMock, user, fill } = setup(() => new Response("{}", { status: 201 }));
    await fill(/E-mail/, "dana");
    await fill(/^Password/, "short");
    await user.click(screen.getByRole("button", { name: "Create user" }));

    expect(screen.getByText("Enter a full e-mail address, like name@clinic.org.")).toBeTruthy();
    expect(screen.getByText("Enter the practitioner's name: their record is created with it.")).toBeTruthy();
    expect(screen.getByText("Use at least 12 characters (7 more).")).toBeTruthy();
    expect(screen.getByText("Password strength: Too short")).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByLabelText(/E-mail/));
    expect(fetchMock).not.toHaveBeenCalled();

    // Errors follow the typing once shown.
    await fill(/E-mail/, "@clinic.org");
    expect(screen.queryByText("Enter a full e-mail address, like name@clinic.org.")).toBeNull();
  });

  it("sends a valid form and reports the new user", async () => {
    const created = { id: "u9", email: "dana@clinic.org", role: "practitioner", fhirResource: "Practitioner/31", name: "Dana Lee", disabled: false, totp: false, created: "2024-06-01T10:00:00Z" };
    const { fetchMock, onCreated, user, fill } = setup(() => new Response(JSON.stringify(created), { status: 201 }));
    await fill(/E-mail/, "dana@clinic.org");
    await fill(/Name/, "Dana Lee");
    await fill(/^Password/, "river tulip orbit 42");
    expect(screen.getByText("Password strength: Strong")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Create user" }));

    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(onCreated.mock.calls[0][0]).toMatchObject({ id: "u9", fhirResource: "Practitioner/31" });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/v1/admin/users");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(init?.body as string)).toEqual({ email: "dana@clinic.org", role: "practitioner", password: "river tulip orbit 42", name: "Dana Lee" });
  });

  it("shows the server's refusal in plain words", async () => {
    const { user, fill } = setup(() => new Response(JSON.stringify({ code: 409, message: "a user with this e-mail exists" }), { status: 409 }));
    await fill(/E-mail/, "dana@clinic.org");
    await fill(/Name/, "Dana Lee");
    await fill(/^Password/, "river tulip orbit 42");
    await user.click(screen.getByRole("button", { name: "Create user" }));
    expect((await screen.findByRole("alert")).textContent).toBe("a user with this e-mail exists");
    expect(screen.getByRole("button", { name: "Create user" })).toHaveProperty("disabled", false);
  });
});
