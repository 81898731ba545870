// Package e2e holds end-to-end tests that drive Housecall from the outside
// with real third-party clients: a browser running a real SMART on FHIR
// client library against the authorization server and the FHIR API, and
// @oystehr/sdk (Node) driving the FHIR and Telemed APIs the way apps
// written for Oystehr do.
//
// Why a package of its own: these tests assemble the whole HTTP surface
// (accounts, the OAuth server, the FHIR engine under the access policy)
// and need fixtures outside Go (Debian's chromium, npm packages in
// tools/), so they are kept apart from the unit tests of each package.
// They skip when a fixture is missing, and fail instead under
// HOUSECALL_REQUIRE_FIXTURES=1 (make test, CI). Screenshots and other
// artifacts go to a temporary folder, or to $HOUSECALL_ARTIFACTS when set.
//
// The package has no non-test code.
package e2e
