// Package media is Housecall's selective forwarding unit (SFU): rooms of
// up to a handful of participants who each publish audio, a camera and
// optionally a screen share over one WebRTC PeerConnection and receive
// everyone else's tracks, forwarded packet by packet without transcoding.
//
// Why it exists and what it is not: the control plane (internal/telemed)
// decides who may join which room and hands out tokens; this package only
// checks those tokens through an Authenticator, moves packets and reports
// what happened through Options.OnEvent and Options.OnChat. It knows nothing
// of FHIR, so it can be tested and benchmarked on its own and could run on a
// node of its own.
//
// Layout (LiveKit's sfu / rtc / service split, inside one package):
//
//   - service edge: server.go (Server, rooms registry, control-plane API),
//     handler.go and conn.go (the /rtc WebSocket), errors.go (every error a
//     client can see, mapped to protocol codes in one place), options.go;
//   - session logic: room.go, participant.go, negotiate.go (offer/answer),
//     control.go (publish, mute, chat, moderation, RTCP routing);
//   - media plane: uptrack.go (reading published tracks), downtrack.go (one
//     forwarded track per subscriber, the hot path), rtpparse.go, nack.go
//     (NACK generation towards publishers, retransmission towards
//     subscribers), rtcp.go (TWCC feedback, sender and receiver reports),
//     bwe.go (per-subscriber bandwidth estimate from TWCC feedback),
//     simulcast.go (layer choice), speaker.go (dominant speaker from RFC
//     6464 audio levels), quality.go (0–5 network quality score),
//     engine.go and batchconn_linux.go (codecs, ICE sockets with
//     recvmmsg/sendmmsg batching).
//
// The wire protocol lives in internal/signal and is documented in
// docs/signalling.md. Offer/answer roles: the client sends the first offer
// (with whatever it publishes); after that both sides may offer. The
// server drives renegotiation whenever subscriptions change and is the
// impolite peer of "perfect negotiation": it ignores a client offer that
// collides with its own outstanding offer, and the client (polite) rolls
// its offer back, answers the server's, and offers again.
//
// Forwarding cost matters more than anything else here: published packets
// are read into one reused buffer per layer, parsed without allocation, and
// written to each subscriber through pion's bound TrackLocalWriter from a
// copy-on-write subscriber list (atomic.Pointer), so the hot path takes no
// shared lock. pion runs without interceptors: NACK, TWCC and RTCP reports
// are done inline from state the forwarder keeps anyway. Sequence numbers,
// timestamps and VP8 picture ids are rewritten per subscriber so that
// simulcast layer switches (made only on keyframes) look like one
// continuous stream.
package media
