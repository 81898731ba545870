// Package telemed is the control plane of video visits: the Telemed API
// (Oystehr/ZapEHR-compatible meeting create, join and end, the v1 room and
// token calls, guest invitations), the bookkeeping of every join and leave
// on the visit's FHIR Encounter, and the events sent to webhooks.
//
// It decides who may join what and hands the media server (internal/media)
// a grant; it never touches media. All FHIR reads and writes go through the
// FHIR engine with the caller's identity, so the access policy and the
// audit trail apply to the Telemed API exactly as to the FHIR API.
//
// The meeting of an Encounter is recorded, as Oystehr does, in the R4
// extension https://extensions.fhir.zapehr.com/encounter-virtual-service-pre-release
// with channelType = ChannelCoding (Housecall's video service) and
// addressString = the meeting id.
package telemed
