package media

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/housecall/housecall/internal/signal"
)

// Server is the SFU: a registry of rooms plus the shared ICE sockets.
type Server struct {
	opts   Options
	eng    *engine
	log    *slog.Logger
	events *eventQueue

	mu          sync.Mutex
	rooms       map[string]*room
	closedRooms map[string]time.Time
	closed      bool

	// Counters of tracks that are gone; live tracks are summed on demand so
	// that the hot path never touches a shared cache line.
	gone struct {
		packetsIn, packetsOut, bytesIn, bytesOut atomic.Uint64
		directIn, directOut, directFallbacks     atomic.Uint64
		directRTCP                               atomic.Uint64
	}
	nacks atomic.Uint64
	plis  atomic.Uint64
}

// New starts a Server: it binds the ICE UDP (and TCP) ports immediately.
func New(opts Options) (*Server, error) {
	opts.withDefaults()
	if opts.UDPPort < 0 || opts.UDPPort > 65535 || opts.TCPPort < 0 || opts.TCPPort > 65535 {
		return nil, fmt.Errorf("%w: port out of range", ErrBadOptions)
	}
	if opts.MaxParticipants > 64 {
		return nil, fmt.Errorf("%w: MaxParticipants %d > 64", ErrBadOptions, opts.MaxParticipants)
	}
	eng, err := newEngine(&opts)
	if err != nil {
		return nil, fmt.Errorf("media: %w", err)
	}
	s := &Server{
		opts:        opts,
		eng:         eng,
		log:         opts.Logger,
		rooms:       map[string]*room{},
		closedRooms: map[string]time.Time{},
	}
	s.events = newEventQueue(opts.OnEvent)
	return s, nil
}

// ICEAddrs returns the local addresses of the ICE UDP sockets.
func (s *Server) ICEAddrs() []string {
	out := make([]string, 0, len(s.eng.udpAddrs))
	for _, a := range s.eng.udpAddrs {
		out = append(out, a.String())
	}
	return out
}

// Close disconnects everyone and releases the ICE sockets.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	rooms := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		r.close("server-shutdown")
	}
	s.eng.close()
	s.events.close()
	return nil
}

// getRoom returns the room, creating it when create is set.
func (s *Server) getRoom(id string, create bool) (*room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if r, ok := s.rooms[id]; ok {
		return r, nil
	}
	if !create {
		return nil, ErrRoomNotFound
	}
	if at, ok := s.closedRooms[id]; ok {
		if s.opts.Now().Sub(at) < closedRoomTTL {
			return nil, ErrRoomClosed
		}
		delete(s.closedRooms, id)
	}
	r := newRoom(s, id)
	s.rooms[id] = r
	return r, nil
}

// dropRoom forgets a room that closed; tombstone refuses joins for a while.
func (s *Server) dropRoom(r *room, tombstone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms[r.id] == r {
		delete(s.rooms, r.id)
	}
	if tombstone {
		now := s.opts.Now()
		s.closedRooms[r.id] = now
		for id, at := range s.closedRooms {
			if now.Sub(at) > closedRoomTTL {
				delete(s.closedRooms, id)
			}
		}
	}
}

func (s *Server) roomList() []*room {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*room, 0, len(s.rooms))
	for _, r := range s.rooms {
		out = append(out, r)
	}
	return out
}

// CloseRoom disconnects everyone in the room with a room-closed message and
// refuses new joins to it for an hour.
func (s *Server) CloseRoom(roomID, reason string) error {
	r, err := s.getRoom(roomID, false)
	if err != nil {
		return fmt.Errorf("close room: %w", err)
	}
	r.close(reason)
	return nil
}

// Remove disconnects one participant (no reconnect grace).
func (s *Server) Remove(roomID, participantID, reason string) error {
	p, err := s.findParticipant(roomID, participantID)
	if err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	p.kick(signal.CodeRemoved, "removed from the room", reason)
	return nil
}

// Mute stops forwarding a participant's tracks of one kind ("microphone",
// "camera" or "screen") and asks its client to mute them. Only the
// participant can unmute itself.
func (s *Server) Mute(roomID, participantID, kind string) error {
	p, err := s.findParticipant(roomID, participantID)
	if err != nil {
		return fmt.Errorf("mute: %w", err)
	}
	return p.moderatorMute(kind, "")
}

func (s *Server) findParticipant(roomID, participantID string) (*participant, error) {
	r, err := s.getRoom(roomID, false)
	if err != nil {
		return nil, err
	}
	p := r.get(participantID)
	if p == nil {
		return nil, ErrNotFound
	}
	return p, nil
}

// Rooms lists the open rooms, sorted by id.
func (s *Server) Rooms() []RoomInfo {
	rooms := s.roomList()
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		out = append(out, r.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Participants lists a room's participants in join order (nil if no room).
func (s *Server) Participants(roomID string) []ParticipantInfo {
	r, err := s.getRoom(roomID, false)
	if err != nil {
		return nil
	}
	return r.participantInfos()
}

// Stats returns server-wide counters.
func (s *Server) Stats() Stats {
	st := Stats{
		PacketsIn:  s.gone.packetsIn.Load(),
		PacketsOut: s.gone.packetsOut.Load(),
		BytesIn:    s.gone.bytesIn.Load(),
		BytesOut:   s.gone.bytesOut.Load(),
		NACKs:      s.nacks.Load(),
		PLIs:       s.plis.Load(),

		DirectIn:        s.gone.directIn.Load(),
		DirectOut:       s.gone.directOut.Load(),
		DirectFallbacks: s.gone.directFallbacks.Load(),
		DirectRTCP:      s.gone.directRTCP.Load(),
	}
	for _, c := range s.eng.counts {
		st.ReadCalls += c.readCalls.Load()
		st.ReadDatagrams += c.readDatagrams.Load()
		st.WriteCalls += c.writeCalls.Load()
		st.WriteDatagrams += c.writeDatagrams.Load()
	}
	for _, r := range s.roomList() {
		st.Rooms++
		for _, p := range r.members() {
			st.Participants++
			p.addStats(&st)
		}
	}
	return st
}

func (s *Server) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = s.opts.Now()
	}
	s.events.push(e)
}

// randomID returns n random bytes, base64url encoded.
func (s *Server) randomID(n int) string {
	b := make([]byte, n)
	r := s.opts.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		// crypto/rand does not fail on supported platforms; a test reader
		// that runs dry is a test bug.
		panic(fmt.Sprintf("media: random source: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) randomUint32() uint32 {
	b := make([]byte, 4)
	r := s.opts.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, b); err != nil {
		panic(fmt.Sprintf("media: random source: %v", err))
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// eventQueue delivers events to OnEvent in order from one goroutine, so a
// slow control plane never stalls a room, and no event is dropped.
type eventQueue struct {
	fn     func(Event)
	mu     sync.Mutex
	q      []Event
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

func newEventQueue(fn func(Event)) *eventQueue {
	e := &eventQueue{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go e.run()
	return e
}

func (e *eventQueue) push(ev Event) {
	if e.fn == nil {
		return
	}
	e.mu.Lock()
	if !e.closed {
		e.q = append(e.q, ev)
	}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *eventQueue) run() {
	defer close(e.done)
	for {
		e.mu.Lock()
		q := e.q
		e.q = nil
		closed := e.closed
		e.mu.Unlock()
		for _, ev := range q {
			e.fn(ev)
		}
		if closed && len(q) == 0 {
			return
		}
		if len(q) == 0 {
			<-e.wake
		}
	}
}

// close delivers what is queued, then stops.
func (e *eventQueue) close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	<-e.done
}
