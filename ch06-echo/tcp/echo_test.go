package tcp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// The payload sizes every echo must carry byte-exact: nothing, one byte,
// four echo buffers, and 512 of them.
var payloadSizes = []int{0, 1, 64 << 10, 8 << 20}

// TestEchoPayloads echoes each payload size on a runtime of one worker
// and of two, to a client written with package net (a goroutine) and to
// one written with Dial (a task on the same runtime). Clients write in
// random chunks and read with random reads; the server's count must be
// the payload's size.
func TestEchoPayloads(t *testing.T) {
	seed := testSeed(t)
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			rt := newRT(t, workers)
			for _, client := range []string{"net", "Dial"} {
				for i, size := range payloadSizes {
					t.Run(fmt.Sprintf("%s/%dB", client, size), func(t *testing.T) {
						id := uint64(workers*100 + i)
						if client == "Dial" {
							id += 10
						}
						echoOne(t, rt, client, seed, id, size)
					})
				}
			}
		})
	}
}

// echoOne runs one client of the given kind against a server for one
// connection, and checks both ends.
func echoOne(t *testing.T, rt *sched.Runtime, client string, seed, id uint64, size int) {
	srv := serve(t, rt, 1, nil)
	var got atomic.Int64
	progress := plus(polls(rt), got.Load)
	cerr := make(chan error, 1)
	if client == "net" {
		go func() { cerr <- netClient(srv.addr, seed, id, size, &got) }()
		if err := recv(t, cerr, progress, "the net client's echo"); err != nil {
			t.Fatal(err)
		}
	} else {
		h := sched.Spawn(rt, dialStream(rt, srv.addr, seed, id, size, &got))
		if err, _ := join(t, rt, h, "the Dial client's echo"); err != nil {
			t.Fatal(err)
		}
	}
	r := recv(t, srv.results, progress, "the server's Echo")
	if r.Err != nil || r.Value != int64(size) {
		t.Fatalf("Echo = %d, %v; want %d, nil", r.Value, r.Err, size)
	}
	if _, err := join(t, rt, srv.task, "the accept loop"); err != nil {
		t.Fatalf("accept loop: %v", err)
	}
}

// TestHalfClose sends a message, half-closes, and only then reads: the
// echo must come back whole, followed by end of file, and the server
// must report the count with no error and close its end.
func TestHalfClose(t *testing.T) {
	rt := newRT(t, 2)
	conns := make(chan *tcp.Conn, 1)
	srv := serve(t, rt, 1, func(c *tcp.Conn) future.Future[future.Result[int64]] {
		conns <- c
		return tcp.Echo(c)
	})
	fds0, haveFDs := openFDs()
	msg := make([]byte, 40000) // more than one echo buffer, less than the socket buffers
	fill(7, 0, msg)
	type reply struct {
		back []byte
		err  error
	}
	done := make(chan reply, 1)
	go func() {
		c, err := net.Dial("tcp", srv.addr)
		if err != nil {
			done <- reply{nil, err}
			return
		}
		defer c.Close()
		if _, err := c.Write(msg); err != nil {
			done <- reply{nil, err}
			return
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			done <- reply{nil, err}
			return
		}
		back, err := io.ReadAll(c) // nil error means it ended with EOF
		done <- reply{back, err}
	}()
	rep := recv(t, done, polls(rt), "the client's ReadAll")
	if rep.err != nil {
		t.Fatal(rep.err)
	}
	if !bytes.Equal(rep.back, msg) {
		t.Fatalf("echo of %d bytes came back as %d bytes, not byte-exact", len(msg), len(rep.back))
	}
	r := recv(t, srv.results, polls(rt), "the server's Echo")
	if r.Err != nil || r.Value != int64(len(msg)) {
		t.Fatalf("Echo = %d, %v; want %d, nil", r.Value, r.Err, len(msg))
	}
	c := <-conns
	if !tcp.ConnClosed(c) {
		t.Error("Echo finished and left its Conn open")
	}
	if haveFDs {
		fdsBack(t, fds0)
	} else {
		t.Log("no /proc/self/fd here: descriptors not counted")
	}
}

// manyClients is how many clients TestThousandClients runs at once.
const manyClients = 1000

// TestThousandClients serves 1,000 clients at once, each a goroutine with
// package net sending a few KiB in random chunks, and checks that every
// one got its own bytes back, in order, and that the server counted each.
func TestThousandClients(t *testing.T) {
	seed := testSeed(t)
	rt := newRT(t, 2)
	srv := serve(t, rt, manyClients, nil)
	rng := rand.New(rand.NewPCG(seed, 0))
	sizes := make([]int, manyClients)
	total := int64(0)
	for i := range sizes {
		sizes[i] = 1<<10 + rng.IntN(7<<10)
		total += int64(sizes[i])
	}
	var got atomic.Int64
	progress := plus(polls(rt), got.Load)
	reactortest.Parallel(t, manyClients, progress, "1,000 clients", func(i int) error {
		return netClient(srv.addr, seed, uint64(i), sizes[i], &got)
	})
	echoed := int64(0)
	for range manyClients {
		r := recv(t, srv.results, progress, "the server's Echo results")
		if r.Err != nil {
			t.Errorf("Echo: %v", r.Err)
		}
		echoed += r.Value
	}
	if echoed != total || got.Load() != total {
		t.Errorf("server echoed %d bytes and clients read %d; want %d", echoed, got.Load(), total)
	}
}

// pingClient is a task that makes rounds round trips on a connection: it
// writes a message of random size, reads its echo back (with random
// reads) and checks it, then half-closes and expects end of file.
type pingClient struct {
	c         *tcp.Conn
	id        uint64
	rng       *rand.Rand
	rounds    int
	round     int
	msg, rbuf []byte
	off       int // stream offset of msg[0]
	sent, got int // of msg
	shut      bool
	count     *atomic.Int64
}

func dialPing(rt *sched.Runtime, addr string, seed, id uint64, rounds int, count *atomic.Int64) future.Future[error] {
	return future.Then(tcp.Dial(rt.Reactor(), addr), func(r future.Result[*tcp.Conn]) future.Future[error] {
		if r.Err != nil {
			return future.Ready(r.Err)
		}
		p := &pingClient{c: r.Value, id: id, rng: rngFor(seed, id, 0), rounds: rounds,
			msg: make([]byte, 4096), rbuf: make([]byte, 4096), count: count}
		p.next()
		return p
	})
}

// next makes the next round's message.
func (p *pingClient) next() {
	p.off += len(p.msg)
	p.msg = p.msg[:chunk(p.rng, cap(p.msg))]
	fill(p.id, p.off, p.msg)
	p.sent, p.got = 0, 0
}

func (p *pingClient) Poll(cx *future.Context) future.Poll[error] {
	for {
		switch {
		case p.round == p.rounds:
			if !p.shut {
				if err := p.c.CloseWrite(); err != nil {
					return p.end(err)
				}
				p.shut = true
			}
			r, ok := p.c.PollRead(cx, p.rbuf[:1]).Value()
			switch {
			case !ok:
				return future.Pending[error]()
			case errors.Is(r.Err, io.EOF):
				return p.end(nil)
			case r.Err != nil:
				return p.end(r.Err)
			}
			return p.end(fmt.Errorf("stream %d: a byte after the last echo", p.id))
		case p.sent < len(p.msg):
			r, ok := p.c.PollWrite(cx, p.msg[p.sent:]).Value()
			if !ok {
				return future.Pending[error]()
			}
			if r.Err != nil {
				return p.end(r.Err)
			}
			p.sent += r.Value
		case p.got < len(p.msg):
			b := p.rbuf[:chunk(p.rng, len(p.msg)-p.got)]
			r, ok := p.c.PollRead(cx, b).Value()
			if !ok {
				return future.Pending[error]()
			}
			if r.Err != nil {
				return p.end(fmt.Errorf("stream %d, round %d: %w", p.id, p.round, r.Err))
			}
			if err := check(p.id, p.off+p.got, b[:r.Value]); err != nil {
				return p.end(err)
			}
			p.got += r.Value
			p.count.Add(int64(r.Value))
		default:
			p.round++
			if p.round < p.rounds {
				p.next()
			}
		}
	}
}

func (p *pingClient) end(err error) future.Poll[error] {
	if cerr := p.c.Close(); err == nil {
		err = cerr
	}
	return future.Done(err)
}

// Cancel closes the connection.
func (p *pingClient) Cancel() { p.c.Close() }

// TestStressPingPong opens and closes connections in waves, clients and
// server on one runtime, each connection making 20 round trips of random
// size: a lost wake-up anywhere (accept, read, write, half-close, a task
// stolen between workers) stalls a wave and trips the watchdog.
func TestStressPingPong(t *testing.T) {
	const waves, perWave, rounds = 4, 50, 20
	seed := testSeed(t)
	rt := newRT(t, 2)
	srv := serve(t, rt, waves*perWave, nil)
	var got atomic.Int64
	progress := plus(polls(rt), got.Load)
	for w := range waves {
		hs := make([]*sched.JoinHandle[error], perWave)
		for i := range hs {
			hs[i] = sched.Spawn(rt, dialPing(rt, srv.addr, seed, uint64(w*perWave+i), rounds, &got))
		}
		for i, h := range hs {
			if err, _ := join(t, rt, h, fmt.Sprintf("wave %d, client %d", w, i)); err != nil {
				t.Fatalf("wave %d, client %d: %v", w, i, err)
			}
		}
	}
	echoed := int64(0)
	for range waves * perWave {
		r := recv(t, srv.results, progress, "the server's Echo results")
		if r.Err != nil {
			t.Errorf("Echo: %v", r.Err)
		}
		echoed += r.Value
	}
	if echoed != got.Load() {
		t.Errorf("server echoed %d bytes, clients read %d", echoed, got.Load())
	}
}
