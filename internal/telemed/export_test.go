package telemed

import "time"

// SetPresenceGrace shortens the presence grace period for tests.
func (s *Service) SetPresenceGrace(d time.Duration) {
	s.live.hub.mu.Lock()
	s.live.hub.grace = d
	s.live.hub.mu.Unlock()
}
