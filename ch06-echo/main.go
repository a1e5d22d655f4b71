// Command ch06-echo is chapter 6's echo server on the book's runtime, the
// same server written the usual Go way for comparison, and a load
// generator to measure either of them (or any other echo server).
//
// Usage:
//
//	ch06-echo [-addr HOST:PORT] [-std] [-max-conns N] [-idle D] [-grace D]
//	ch06-echo -load [-addr HOST:PORT] [-conns N] [-size N] [-d D]
//
// TODO(skeleton): the lead's placeholder; the server helper fills it in.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// progName starts every error message.
const progName = "ch06-echo"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on (with -load: to connect to)")
	load := fs.Bool("load", false, "run the load generator instead of a server")
	workers := fs.Int("workers", 0, "the runtime's workers (0: GOMAXPROCS)")
	lc := addLoadFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *load {
		lc.addr, lc.workers = *addr, *workers
		if err := runLoad(lc, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", progName, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "%s: the server is not written yet\n", progName)
	return 1
}
