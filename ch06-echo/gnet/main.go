// Command gnet is the echo server of chapter 6 written with gnet
// (github.com/panjf2000/gnet), an event-loop networking library for Go,
// for the chapter's measurements only: it shows where a production
// event-loop design lands beside the book's runtime and package net.
//
// It is a module of its own, so that the book's module does not depend on
// gnet; build it from this directory:
//
//	cd ch06-echo/gnet && go build -o /tmp/gnet-echo . && /tmp/gnet-echo -addr 127.0.0.1:18080
//
// ch06-echo/measure.sh runs it as a third server when GNET names the
// binary. SIGINT ends it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/panjf2000/gnet/v2"
)

// echo writes back whatever arrives, from gnet's event loop.
type echo struct{ gnet.BuiltinEventEngine }

func (*echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "the address to listen on")
	flag.Parse()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	go func() {
		<-stop
		os.Exit(0) // gnet would otherwise take SIGINT for itself
	}()
	// One event loop per CPU the process may use (GOMAXPROCS), as the
	// book's runtime has one worker per CPU.
	err := gnet.Run(&echo{}, "tcp://"+*addr, gnet.WithMulticore(true))
	fmt.Fprintf(os.Stderr, "gnet: %v\n", err)
	os.Exit(1)
}
