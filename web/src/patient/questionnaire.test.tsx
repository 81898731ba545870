import { describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Fhir } from "../api/fhir";
import { IntakeStep } from "./IntakeStep";
import { buildResponse, initialValues, isEnabled, itemIndex, validate, INTAKE_URL, type FormValues, type Questionnaire } from "./questionnaire";

const MIN = "http://hl7.org/fhir/StructureDefinition/minValue";
const MAX = "http://hl7.org/fhir/StructureDefinition/maxValue";

// The shape of the server's seeded intake questionnaire (contract section 5).
const intake: Questionnaire = {
  resourceType: "Questionnaire",
  id: "q1",
  url: INTAKE_URL,
  status: "active",
  item: [
    {
      linkId: "symptom-start",
      text: "When did your symptoms start?",
      type: "choice",
      required: true,
      answerOption: [
        { valueCoding: { code: "today", display: "Today" } },
        { valueCoding: { code: "1-3d", display: "1–3 days ago" } },
        { valueCoding: { code: "4-7d", display: "4–7 days ago" } },
        { valueCoding: { code: "week+", display: "More than a week ago" } },
      ],
    },
    {
      linkId: "severity",
      text: "How bad is it, from 0 (not at all) to 10 (the worst)?",
      type: "integer",
      required: true,
      extension: [
        { url: MIN, valueInteger: 0 },
        { url: MAX, valueInteger: 10 },
      ],
    },
    { linkId: "medications", text: "Which medicines are you taking now?", type: "text" },
    { linkId: "allergies", text: "Do you have any allergies?", type: "text" },
    { linkId: "private", text: "Are you in a private place?", type: "boolean", required: true },
    { linkId: "phone", text: "Phone number to call you back if we get disconnected", type: "string" },
  ],
};

function fakeFhir(q: Questionnaire | null) {
  const calls = {
    search: vi.fn(async () => ({ resourceType: "Bundle", entry: q ? [{ resource: q }] : [] })),
    create: vi.fn(async (r: any) => ({ ...r, id: "qr1" })),
    read: vi.fn(async () => ({ resourceType: "Encounter", id: "e7", status: "arrived" })),
    patch: vi.fn(async () => ({ resourceType: "Encounter", id: "e7" })),
  };
  return { fhir: calls as unknown as Fhir, calls };
}

describe("intake questionnaire form", () => {
  it("renders items by their text, checks answers and writes the QuestionnaireResponse and the reason", async () => {
    const user = userEvent.setup({ delay: null });
    const { fhir, calls } = fakeFhir(intake);
    const onDone = vi.fn();
    render(<IntakeStep fhir={fhir} encounterId="e7" patientId="p1" onDone={onDone} />);

    expect(await screen.findByRole("heading", { name: "About your visit" })).toBeTruthy();
    expect(calls.search).toHaveBeenCalledWith("Questionnaire", { url: INTAKE_URL });
    const reason = screen.getByRole("textbox", { name: "Reason for your visit" });
    const severity = screen.getByRole("spinbutton", { name: "How bad is it, from 0 (not at all) to 10 (the worst)?" });
    expect(severity.getAttribute("min")).toBe("0");
    expect(severity.getAttribute("max")).toBe("10");
    expect(screen.getByText("A number from 0 to 10")).toBeTruthy();
    expect(screen.getByRole("radiogroup", { name: "When did your symptoms start?" }).getAttribute("aria-required")).toBe("true");
    expect(screen.getByRole("radiogroup", { name: "Are you in a private place?" })).toBeTruthy();
    expect(screen.getByRole("textbox", { name: "Which medicines are you taking now?" })).toBeTruthy();
    expect(screen.getByRole("textbox", { name: "Phone number to call you back if we get disconnected" })).toBeTruthy();
    // Required markers: the inputs say so to assistive technology.
    expect(reason.hasAttribute("required")).toBe(true);
    expect(severity.hasAttribute("required")).toBe(true);

    // Nothing filled in: every required question complains, nothing is written.
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(screen.getByText("4 answers need your attention. They are marked below.")).toBeTruthy();
    expect(screen.getAllByText("Please choose an answer.")).toHaveLength(2);
    expect(document.activeElement).toBe(reason);
    expect(calls.create).not.toHaveBeenCalled();

    await user.click(reason);
    await user.paste("Sore throat and fever");
    await user.click(screen.getByRole("radio", { name: "1–3 days ago" }));
    await user.type(severity, "12");
    await user.click(screen.getByRole("radio", { name: "Yes" }));
    await user.click(screen.getByRole("textbox", { name: "Which medicines are you taking now?" }));
    await user.paste("Ibuprofen");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(screen.getByText("Enter a number from 0 to 10.")).toBeTruthy();
    expect(calls.create).not.toHaveBeenCalled();

    await user.clear(severity);
    await user.type(severity, "6");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());

    const qr = calls.create.mock.calls[0][0];
    expect(qr).toMatchObject({
      resourceType: "QuestionnaireResponse",
      questionnaire: INTAKE_URL,
      status: "completed",
      subject: { reference: "Patient/p1" },
      encounter: { reference: "Encounter/e7" },
    });
    expect(typeof qr.authored).toBe("string");
    expect(qr.item).toEqual([
      { linkId: "symptom-start", text: "When did your symptoms start?", answer: [{ valueCoding: { code: "1-3d", display: "1–3 days ago" } }] },
      { linkId: "severity", text: "How bad is it, from 0 (not at all) to 10 (the worst)?", answer: [{ valueInteger: 6 }] },
      { linkId: "medications", text: "Which medicines are you taking now?", answer: [{ valueString: "Ibuprofen" }] },
      { linkId: "private", text: "Are you in a private place?", answer: [{ valueBoolean: true }] },
    ]);
    expect(calls.patch).toHaveBeenCalledWith("Encounter", "e7", [{ op: "add", path: "/reasonCode", value: [{ text: "Sore throat and fever" }] }]);
  }, 30_000);

  it("still asks for the reason when the server has no questionnaire", async () => {
    const user = userEvent.setup({ delay: null });
    const { fhir, calls } = fakeFhir(null);
    const onDone = vi.fn();
    render(<IntakeStep fhir={fhir} encounterId="e7" patientId="p1" onDone={onDone} />);
    await user.type(await screen.findByRole("textbox", { name: "Reason for your visit" }), "Rash");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(calls.create).not.toHaveBeenCalled();
    expect(calls.patch).toHaveBeenCalled();
  });

  it("keeps the answers and says what went wrong when saving fails", async () => {
    const user = userEvent.setup({ delay: null });
    const { fhir, calls } = fakeFhir(null);
    calls.patch.mockRejectedValueOnce(new Error("We can't reach the Housecall server. Check your internet connection, then try again."));
    const onDone = vi.fn();
    render(<IntakeStep fhir={fhir} encounterId="e7" patientId="p1" onDone={onDone} />);
    const reason = await screen.findByRole("textbox", { name: "Reason for your visit" });
    await user.type(reason, "Rash");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByText(/can't reach the Housecall server/)).toBeTruthy();
    expect((reason as HTMLTextAreaElement).value).toBe("Rash");
    await user.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
  });
});

describe("questionnaire model", () => {
  const q: Questionnaire = {
    resourceType: "Questionnaire",
    url: "https://example.org/q",
    item: [
      { linkId: "smoke", text: "Do you smoke?", type: "boolean" },
      {
        linkId: "how-much",
        text: "How many a day?",
        type: "integer",
        required: true,
        enableWhen: [{ question: "smoke", operator: "=", answerBoolean: true }],
      },
      {
        linkId: "g",
        text: "Other",
        type: "group",
        item: [
          { linkId: "temp", text: "Temperature", type: "decimal" },
          { linkId: "where", text: "Where does it hurt?", type: "choice", repeats: true, answerOption: [{ valueString: "Head" }, { valueString: "Back", initialSelected: true }] },
        ],
      },
    ],
  };

  it("follows enableWhen for showing and validating", () => {
    const byId = itemIndex(q.item);
    const howMuch = q.item![1];
    expect(isEnabled(howMuch, {}, byId)).toBe(false);
    expect(isEnabled(howMuch, { smoke: false }, byId)).toBe(false);
    expect(isEnabled(howMuch, { smoke: true }, byId)).toBe(true);
    expect(validate(q.item, { smoke: false })).toEqual({});
    expect(validate(q.item, { smoke: true })).toEqual({ "how-much": "Please answer this question." });
    expect(validate(q.item, { smoke: true, "how-much": "2.5" })).toEqual({ "how-much": "Enter a whole number." });
    expect(validate(q.item, { temp: "abc" })).toEqual({ temp: "Enter a number." });
  });

  it("builds nested answers, skips hidden and empty ones, and starts from initial values", () => {
    const values: FormValues = { ...initialValues(q.item), smoke: false, "how-much": "10", temp: "38,5" };
    expect(values.where).toEqual(["1"]);
    const qr = buildResponse(q, values, { patient: "Patient/1", encounter: "Encounter/2", authored: "2025-01-01T10:00:00Z" });
    expect(qr.item).toEqual([
      { linkId: "smoke", text: "Do you smoke?", answer: [{ valueBoolean: false }] },
      {
        linkId: "g",
        text: "Other",
        item: [
          { linkId: "temp", text: "Temperature", answer: [{ valueDecimal: 38.5 }] },
          { linkId: "where", text: "Where does it hurt?", answer: [{ valueString: "Back" }] },
        ],
      },
    ]);
    expect(buildResponse(q, {}, { patient: "Patient/1", encounter: "Encounter/2" }).item).toBeUndefined();
  });
});
