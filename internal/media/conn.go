package media

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// sigConn is one client WebSocket. Writes go through a bounded queue and a
// writer goroutine so that a slow client never blocks a room; a client that
// falls 256 messages behind is disconnected.
type sigConn struct {
	ws      *websocket.Conn
	log     *slog.Logger
	out     chan outMsg
	stop    chan struct{}
	done    chan struct{}
	closing atomic.Bool
	once    sync.Once
}

type outMsg struct {
	b      []byte
	final  bool
	code   websocket.StatusCode
	reason string
}

const sendQueue = 256

func newSigConn(ws *websocket.Conn, log *slog.Logger) *sigConn {
	c := &sigConn{ws: ws, log: log, out: make(chan outMsg, sendQueue), stop: make(chan struct{}), done: make(chan struct{})}
	go c.writeLoop()
	return c
}

// send queues a message; false when the connection is closing or too slow.
func (c *sigConn) send(b []byte) bool {
	if c.closing.Load() {
		return false
	}
	select {
	case c.out <- outMsg{b: b}:
		return true
	default:
		c.log.Warn("signalling client too slow, disconnecting")
		c.abort(websocket.StatusPolicyViolation, "too slow")
		return false
	}
}

// closeWith sends a last message (may be nil) and closes the connection.
func (c *sigConn) closeWith(b []byte, code websocket.StatusCode, reason string) {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	select {
	case c.out <- outMsg{b: b, final: true, code: code, reason: reason}:
	default:
		c.abortNow(code, reason)
	}
}

func (c *sigConn) abort(code websocket.StatusCode, reason string) {
	c.closing.Store(true)
	c.abortNow(code, reason)
}

func (c *sigConn) abortNow(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		close(c.stop)
		go func() { _ = c.ws.Close(code, reason) }()
	})
}

func (c *sigConn) writeLoop() {
	defer close(c.done)
	for {
		select {
		case m := <-c.out:
			if m.b != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := c.ws.Write(ctx, websocket.MessageText, m.b)
				cancel()
				if err != nil {
					c.abort(websocket.StatusAbnormalClosure, "write failed")
					return
				}
			}
			if m.final {
				c.once.Do(func() { close(c.stop) })
				_ = c.ws.Close(m.code, m.reason)
				return
			}
		case <-c.stop:
			return
		}
	}
}

// shutdown is called when the reader is done: it lets a final message go
// out (bounded) and releases the socket.
func (c *sigConn) shutdown() {
	c.closing.Store(true)
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	c.once.Do(func() { close(c.stop) })
	_ = c.ws.CloseNow()
}
