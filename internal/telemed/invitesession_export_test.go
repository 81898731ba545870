package telemed

import "time"

// SetClock replaces the service's clock. Set it before the first request:
// it is read without synchronisation.
func (s *Service) SetClock(now func() time.Time) { s.o.Now = now }
