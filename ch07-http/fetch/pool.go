package fetch

import (
	"sync"

	"github.com/asyncbook/asyncbook/ch02-futures/future"

	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// readBufSize is the size of a connection's read buffer.
const readBufSize = 4 << 10

// A pconn is a connection the client made, with its read buffer.
type pconn struct {
	conn *tcp.Conn
	key  string // host:port, the pool's key
	buf  []byte
	kept bool // it has been in the pool: it may have gone stale there
}

// newPconn wraps a new connection to key.
func newPconn(c *tcp.Conn, key string) *pconn {
	return &pconn{conn: c, key: key, buf: make([]byte, readBufSize)}
}

// ANCHOR: stale

// stale reports whether pc, taken from the pool, has something to read
// before the client has asked it anything: bytes the server sent after
// its last response, or its close. Either way pc is not fit for another
// request. If nothing came, PollRead is pending, and leaves cx's waker
// with the reactor, where the response will need it.
func (pc *pconn) stale(cx *future.Context) bool {
	return pc.conn.PollRead(cx, pc.buf).IsDone()
}

// ANCHOR_END: stale

// ANCHOR: pool

// pool keeps idle connections, by host:port, for the next request to the
// same host: a new TCP connection costs a handshake, a file descriptor
// and, for the server, an accept. A Client's tasks share it, so a mutex
// guards it; it is held only to push or pop.
type pool struct {
	mu   sync.Mutex
	idle map[string][]*pconn
}

// get takes the most recently used idle connection to key, or nil.
func (p *pool) get(key string) *pconn {
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := p.idle[key]
	if len(cs) == 0 {
		return nil
	}
	pc := cs[len(cs)-1]
	cs[len(cs)-1] = nil
	p.idle[key] = cs[:len(cs)-1]
	return pc
}

// ANCHOR_END: pool

// ANCHOR: pool-put

// put keeps pc for reuse, or closes it if max are kept already.
func (p *pool) put(pc *pconn, max int) {
	pc.kept = true
	p.mu.Lock()
	if p.idle == nil {
		p.idle = make(map[string][]*pconn)
	}
	cs := p.idle[pc.key]
	if len(cs) < max {
		p.idle[pc.key] = append(cs, pc)
		pc = nil
	}
	p.mu.Unlock()
	if pc != nil {
		pc.conn.Close()
	}
}

// ANCHOR_END: pool-put

// closeAll closes every idle connection.
func (p *pool) closeAll() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, cs := range idle {
		for _, pc := range cs {
			pc.conn.Close()
		}
	}
}

// CloseIdle closes the connections the client keeps for reuse. Fetches
// under way are not affected; their connections may be kept after.
func (c *Client) CloseIdle() { c.idle.closeAll() }
