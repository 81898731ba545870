// Package fhir is Housecall's FHIR R4 model: the official definitions
// (generated into r4defs.json.gz by ./gen and embedded), strict JSON decoding,
// validation of resources against those definitions, and canonical JSON
// encoding in definition order.
//
// Every write to the store goes through Decode and Validate, so both are built
// to be fast and to report every problem at once with a FHIRPath-style
// location, never echoing patient data.
package fhir

//go:generate go run ./gen

// Version is the FHIR version whose definitions are embedded.
const Version = "4.0.1"
