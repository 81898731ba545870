// Package mediatest is a synthetic WebRTC participant for the SFU's
// end-to-end tests and for tools/benchmedia: a real pion PeerConnection
// driven through the /rtc signalling protocol, publishing generated media
// and measuring what it receives.
//
// Why synthetic media: tests and benchmarks must run offline and without a
// codec library. The VP8 "encoder" (VP8Source; frames pre-generated once
// per resolution and bitrate in a shared FramePool) emits frames with a correct
// frame tag, keyframe start code and dimensions, padded to the target
// bitrate with pseudo-random bytes, packetised with RFC 7741 payload
// descriptors (15-bit picture ids, start bits, marker on the last packet),
// keyframes every KeyframeInterval and on PLI/FIR. A real decoder would
// reject the pseudo-random residual data, but every property the SFU acts
// on (keyframe detection, dimensions, picture ids, frame boundaries) is
// real. Audio is 20 ms Opus-sized packets (DTX comfort-noise payload) with
// the RFC 6464 audio-level extension set as the test asks ("speaking" or
// silent).
//
// Loss can be injected on the client's UDP socket (below SRTP, where a real
// network loses packets), in either direction.
//
// The receiving side counts packets, reassembles frames to count complete
// keyframes and their dimensions, and tracks sequence gaps so tests can
// prove that NACK repaired injected loss.
package mediatest
