// Package video holds the browser end-to-end test of video visits: the
// real server assembly (internal/app, with the media server on /rtc and an
// embedded TURN relay), a meeting created through the Telemed API, and two
// then three headless Chromium pages that join it with the JavaScript SDK
// (sdk/js, served at /sdk/housecall.mjs) and fake camera and microphone.
// Media is checked through the SDK's getStats(): video decoded at 640 px or
// more and audio received on every side, a screen share, recovery without a
// page reload after five seconds without network, and simulcast once a
// third participant joins.
//
// Why a package of its own: it needs fixtures outside Go (Debian's
// chromium, playwright-core from tools/smart-e2e, the SDK build from
// `make sdk`) and a minute of wall time, so it stays apart from the other
// end-to-end tests. It skips when a fixture is missing and fails instead
// under HOUSECALL_REQUIRE_FIXTURES=1 (make test, CI). Screenshots go to a
// temporary folder, or under $HOUSECALL_ARTIFACTS/<test name>/ when set.
//
// The package has no non-test code.
package video
