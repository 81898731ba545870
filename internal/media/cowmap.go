package media

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

// cowMap is a map read on the hot path without locks and changed rarely:
// every change copies it (under a mutex) and publishes the copy.
type cowMap[K comparable, V comparable] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

// get returns the value for k (the zero value if none).
func (c *cowMap[K, V]) get(k K) V {
	if m := c.m.Load(); m != nil {
		return (*m)[k]
	}
	var zero V
	return zero
}

// set stores v under k.
func (c *cowMap[K, V]) set(k K, v V) {
	c.update(func(m map[K]V) bool { m[k] = v; return true })
}

// deleteIf removes k if it maps to v; it reports whether it did.
func (c *cowMap[K, V]) deleteIf(k K, v V) bool {
	return c.update(func(m map[K]V) bool {
		if cur, ok := m[k]; !ok || cur != v {
			return false
		}
		delete(m, k)
		return true
	})
}

// keys returns the keys at this moment.
func (c *cowMap[K, V]) keys() []K {
	if m := c.m.Load(); m != nil {
		return slices.Collect(maps.Keys(*m))
	}
	return nil
}

// update applies change to a copy and publishes it if change reports one.
func (c *cowMap[K, V]) update(change func(map[K]V) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[K]V{}
	if old := c.m.Load(); old != nil {
		next = maps.Clone(*old)
	}
	if !change(next) {
		return false
	}
	c.m.Store(&next)
	return true
}
