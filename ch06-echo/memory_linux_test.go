package main

import (
	"flag"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// heapProfile names a file for TestIdleConnMemory to write a heap profile
// of the book's server to, taken while its connections are idle: every
// allocation is sampled, so that go tool pprof -sample_index=inuse_space
// shows, by where it was allocated, what each connection holds.
var heapProfile = flag.String("ch06.heapprofile", "", "write a heap profile of the book's server with its idle connections to `file`")

// TestIdleConnMemory measures what an idle connection costs each server
// in Go memory: the live heap and the goroutine stacks, after a
// collection, with 1,000 connections open and idle after one 64-byte
// round trip each, minus the same before they were opened. The clients
// are raw sockets, which allocate nothing in Go, so the difference is
// the server's. The chapter's table of resident memory (measure.sh's
// -hold) also counts the collector's headroom and the pages it has not
// given back; this is the part the server's design decides. The test
// logs both servers' figures and fails only if the book's server needs as
// much for a connection as the 2 KiB stack a goroutine starts with, the
// comparison the chapter makes.
func TestIdleConnMemory(t *testing.T) {
	const n = 1000
	if *heapProfile != "" {
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	forModes(t, func(t *testing.T, mode []string) {
		s := startServerLog(t, mode, nil, "-idle", "5m")
		ap, err := netip.ParseAddrPort(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		before := goMemory()
		fds := make([]int, 0, n)
		t.Cleanup(func() {
			for _, fd := range fds {
				unix.Close(fd)
			}
		})
		done := make(chan struct{})
		var opened atomic.Int64
		var openErr error
		go func() {
			defer close(done)
			for range n {
				fd, err := rawRoundTrip(ap)
				if err != nil {
					openErr = err
					return
				}
				fds = append(fds, fd)
				opened.Add(1)
			}
		}()
		reactortest.Await(t, done, opened.Load, "opening 1,000 connections")
		if openErr != nil {
			t.Fatal(openErr)
		}
		after := goMemory()
		b := float64(int64(after)-int64(before)) / n
		if *heapProfile != "" && !isStd(mode) {
			writeHeapProfile(t, *heapProfile)
		}
		t.Logf("%.0f B of Go memory (heap and stacks) per idle connection", b)
		if !isStd(mode) && b >= 2048 {
			t.Errorf("the book's server holds %.0f B per idle connection, no less than a goroutine's first stack", b)
		}
	})
}

// goMemory is the live heap and the goroutine stacks after two
// collections (the second frees what the first's finalizers released).
func goMemory() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}

// rawRoundTrip connects a blocking socket, without package net, sends
// 64 bytes and reads them back, and returns the descriptor.
func rawRoundTrip(ap netip.AddrPort) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	if err := unix.Connect(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	if _, err := unix.Write(fd, msg); err != nil {
		unix.Close(fd)
		return -1, err
	}
	got := 0
	buf := make([]byte, 64)
	for got < len(msg) {
		m, err := unix.Read(fd, buf[got:])
		if err != nil || m == 0 {
			unix.Close(fd)
			return -1, err
		}
		got += m
	}
	return fd, nil
}

func writeHeapProfile(t *testing.T, name string) {
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}
