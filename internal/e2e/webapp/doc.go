// Package webapp holds the browser end-to-end test of a whole video visit
// in the web app (web/, served by the server from internal/webui): the
// real server assembly with the media server on loopback, a practitioner
// who signs in with a password and a TOTP code on the server's page, and
// a patient, a guest and a patient on a phone in headless Chromium with a
// fake camera and microphone, driven by tools/web-e2e (playwright-core)
// through the labels of the UI contract. It checks what people see
// (greeting, intake, consent, waiting room, arrival notice, each other's
// video, the visit summary) and what FHIR holds afterwards (the diagnosis
// and prescription on the visit, the intake answers and consent, the
// Encounter's status), and measures link → waiting room, check-in →
// arrival notice and the patient's JavaScript download; the figures go to
// the test log and to <artifacts>/web-e2e-metrics.json.
//
// Fixtures outside Go: Debian's chromium, tools/web-e2e/node_modules
// (npm ci), the web app's build embedded by the server (`make web`). A test
// skips when one is missing and fails instead under
// HOUSECALL_REQUIRE_FIXTURES=1 (make test, CI). Screenshots go to a
// temporary folder, or under $HOUSECALL_ARTIFACTS/<test name>/ when set.
//
// The package has no non-test code.
package webapp
