package tcp_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestKeepAlive asks the kernel for the keepalive settings of an
// accepted connection and a dialled one: both must probe a silent peer
// as package net's connections do (net/dial.go's defaults: first probe
// after 15 s, then one every 15 s, 9 unanswered probes drop it), or a
// peer that vanishes without a FIN is held for as long as -idle allows,
// or for ever.
func TestKeepAlive(t *testing.T) {
	rt := newRT(t, 2)
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := sched.Spawn(rt, l.Accept())
	dialled := sched.Spawn(rt, tcp.Dial(rt.Reactor(), l.Addr().String()))
	for _, side := range []struct {
		name string
		h    *sched.JoinHandle[future.Result[*tcp.Conn]]
	}{{"accepted", accepted}, {"dialled", dialled}} {
		r, err := join(t, rt, side.h, "the "+side.name+" connection")
		if err == nil {
			err = r.Err
		}
		if err != nil {
			t.Fatalf("%s: %v", side.name, err)
		}
		fd := tcp.ConnFD(r.Value)
		for _, opt := range []struct {
			name       string
			level, opt int
			want       int
		}{
			{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
			{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 15},
			{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, 15},
			{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, 9},
		} {
			got, err := unix.GetsockoptInt(fd, opt.level, opt.opt)
			if err != nil {
				t.Errorf("%s connection: getsockopt %s: %v", side.name, opt.name, err)
			} else if got != opt.want {
				t.Errorf("%s connection: %s = %d, want %d", side.name, opt.name, got, opt.want)
			}
		}
		r.Value.Close()
	}
}
