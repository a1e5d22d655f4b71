// Command ch07-http fetches many URLs at once and prints one line for
// each: chapter 7's HTTP client (package fetch) on the book's runtime,
// or, with -std, the same job done with net/http and goroutines.
//
// Usage:
//
//	ch07-http [flags] [URL...]
//	ch07-http [flags] -f FILE
//	ch07-http -serve HOST:PORT
//
// With no URL and no -f it starts a demo server of its own on an
// ephemeral port of 127.0.0.1 and fetches seventeen URLs from it: the
// todos /todos/1 to /todos/10, a slow one, a todo that does not exist,
// a 404, a 500, a redirect, a chunked response, and one whose body ends
// early. So it runs offline, and shows every kind of answer.
//
// Otherwise it fetches the URLs given as arguments, or those read from
// FILE (-f), one per line, blank lines and lines starting with # skipped;
// -f - reads standard input. An argument that starts with / is a path on
// the demo server, which then starts too: ch07-http /todos/1 /loop.
// Flags go before the URLs. Only http:// URLs: the book's client
// speaks plain HTTP, and reports an https:// URL as an error (-std
// fetches those too).
//
// At most -c URLs (default 8) are fetched at once. Each answer is
// printed as soon as it and all the URLs before it are in, so the lines
// come in input order while the fetches overlap. A line holds the URL
// (its path, for the demo), the status code, the size of the body, the
// time the fetch took and, for a JSON body, its "title" field; a URL
// that got no answer (a refused connection, a timeout, a malformed or
// truncated response) gets "error:" and why. A 404 or a 500 is an
// answer, not an error. A last line counts the URLs and the time:
//
//	17 URLs in 302ms: 16 answered, 1 failed
//
// Flags:
//
//	-c N                 fetch at most N URLs at once (default 8)
//	-f FILE              read the URLs from FILE (- for standard input)
//	-std                 fetch with net/http and goroutines instead
//	-timeout D           give up a URL after D, redirects included
//	                     (default 10s; 0: no limit)
//	-connect-timeout D   give up a connection attempt after D (default 5s)
//	-deadline D          end the whole run after D: the fetches still
//	                     running fail, and the URLs not started are not
//	                     fetched (default 0: no deadline)
//	-max-redirects N     follow at most N redirects (default 10; 0: a
//	                     3xx is an answer like any other)
//	-max-body BYTES      a longer body is an error (default 10 MiB)
//	-max-header BYTES    a longer status line and header is an error
//	                     (default 64 KiB)
//	-workers N           the runtime's workers (default 0: GOMAXPROCS)
//	-netpoller           the runtime's idle worker sleeps in Go's
//	                     netpoller (reactor.Reactor.UseNetpoller);
//	                     -netpoller=false: in epoll_wait or kevent, as
//	                     in chapters 4 to 6 (default true)
//	-serve HOST:PORT     run only the demo server, on HOST:PORT, until
//	                     SIGINT or SIGTERM, for curl or a benchmark
//
// Exit status: 0 if every URL was answered, 1 if any failed (or
// standard output could not be written), 2 for a usage error: a bad
// flag, or both -f and URLs. A URL that does not parse is not a usage
// error: it fails alone, with its own line. On systems without epoll or
// kqueue (Windows) the book's client cannot run and says so with status
// 1; -std works there.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// progName starts every error message.
const progName = "ch07-http"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: ch07-http [flags] [URL...]
       ch07-http [flags] -f FILE
       ch07-http -serve HOST:PORT

Fetches the URLs, at most -c at once, and prints one line for each in
input order: status, body size, time, and a JSON body's "title". With
no URL it fetches seventeen from a demo server of its own; a URL that
starts with / is a path on that server. Flags go before URLs.

  -c N                 fetch at most N URLs at once, 1 to 100000
                       (default 8)
  -f FILE              read the URLs from FILE, one per line;
                       - reads standard input
  -std                 fetch with net/http and goroutines
  -timeout D           give up a URL after D, redirects included
                       (default 10s; 0: no limit)
  -connect-timeout D   give up a connection attempt after D
                       (default 5s)
  -deadline D          end the whole run after D (default 0: none)
  -max-redirects N     follow at most N redirects, 0 to 100
                       (default 10)
  -max-body BYTES      fail a URL whose body is longer
                       (default 10485760, 10 MiB)
  -max-header BYTES    fail a URL whose status line and header are
                       longer (default 65536, 64 KiB)
  -workers N           the runtime's workers, 0 to 1024
                       (default 0: GOMAXPROCS)
  -netpoller           the runtime's idle worker sleeps in Go's
                       netpoller; =false: in epoll_wait or kevent
                       (default true)
  -serve HOST:PORT     run only the demo server, until SIGINT or
                       SIGTERM
`

// config is how the URLs are fetched: the flags, checked.
type config struct {
	c              int           // URLs fetched at once
	std            bool          // net/http instead of package fetch
	timeout        time.Duration // per URL, redirects included; 0: none
	connectTimeout time.Duration // per connection attempt
	deadline       time.Duration // the whole run; 0: none
	maxRedirects   int
	maxBody        int64
	maxHeader      int
	workers        int  // the runtime's workers; 0: GOMAXPROCS
	netpoll        bool // the runtime sleeps in Go's netpoller
}

// Limits on the flags, so that a typo fails at once.
const (
	maxC         = 100_000
	maxRedirects = 100
	maxLimit     = 1 << 40 // -max-body and -max-header
)

// run is the program: it returns the exit status. Tests call runWith
// instead, to give it a standard input and send it signals.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, os.Stdin, stdout, stderr, nil)
}

// runWith is run with its standard input, and the channel -serve takes
// its stop signal from; nil means SIGINT and SIGTERM, through os/signal.
func runWith(args []string, stdin io.Reader, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	cmd := cli.Command{Prog: progName, Usage: usage, Stdout: stdout, Stderr: stderr}
	fs := cmd.FlagSet()
	var cfg config
	fs.IntVar(&cfg.c, "c", 8, "")
	file := fs.String("f", "", "")
	fs.BoolVar(&cfg.std, "std", false, "")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "")
	fs.DurationVar(&cfg.connectTimeout, "connect-timeout", 5*time.Second, "")
	fs.DurationVar(&cfg.deadline, "deadline", 0, "")
	fs.IntVar(&cfg.maxRedirects, "max-redirects", 10, "")
	fs.Int64Var(&cfg.maxBody, "max-body", 10<<20, "")
	fs.IntVar(&cfg.maxHeader, "max-header", 64<<10, "")
	fs.IntVar(&cfg.workers, "workers", 0, "")
	fs.BoolVar(&cfg.netpoll, "netpoller", true, "")
	serve := fs.String("serve", "", "")
	if code, done := cmd.Parse(fs, args); done {
		return code
	}
	usageError := cmd.UsageError
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "-") {
			return usageError(fmt.Sprintf("%s after a URL: flags go before URLs", cli.Printable(a)))
		}
	}
	fileSet, netpollSet := false, false
	fs.Visit(func(f *flag.Flag) {
		fileSet = fileSet || f.Name == "f"
		netpollSet = netpollSet || f.Name == "netpoller"
	})
	switch {
	case cfg.c < 1 || cfg.c > maxC:
		return usageError(fmt.Sprintf("-c %d: want 1 to %d", cfg.c, maxC))
	case cfg.timeout < 0:
		return usageError(fmt.Sprintf("-timeout %v: want 0 (no limit) or more", cfg.timeout))
	case cfg.connectTimeout <= 0:
		return usageError(fmt.Sprintf("-connect-timeout %v: want more than 0", cfg.connectTimeout))
	case cfg.deadline < 0:
		return usageError(fmt.Sprintf("-deadline %v: want 0 (none) or more", cfg.deadline))
	case cfg.maxRedirects < 0 || cfg.maxRedirects > maxRedirects:
		return usageError(fmt.Sprintf("-max-redirects %d: want 0 to %d", cfg.maxRedirects, maxRedirects))
	case cfg.maxBody < 0 || cfg.maxBody > maxLimit:
		return usageError(fmt.Sprintf("-max-body %d: want 0 to %d", cfg.maxBody, int64(maxLimit)))
	case cfg.maxHeader < 1 || cfg.maxHeader > maxLimit:
		return usageError(fmt.Sprintf("-max-header %d: want 1 to %d", cfg.maxHeader, int64(maxLimit)))
	case cfg.workers < 0 || cfg.workers > 1024:
		return usageError(fmt.Sprintf("-workers %d: want 0 to 1024", cfg.workers))
	case fileSet && *file == "":
		return usageError("-f: want a file name, or - for standard input")
	case fileSet && fs.NArg() > 0:
		return usageError("-f and URL arguments: give one or the other")
	case cfg.std && netpollSet:
		return usageError("-netpoller is for the book's runtime; -std has none")
	case *serve != "" && (fileSet || fs.NArg() > 0):
		return usageError("-serve runs only the demo server: it takes no URLs")
	}

	if *serve != "" {
		if sigs == nil {
			c := make(chan os.Signal, 1)
			signal.Notify(c, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(c)
			sigs = c
		}
		return serveDemo(*serve, cmd, sigs)
	}

	urls, names := fs.Args(), fs.Args()
	if fileSet {
		var err error
		if urls, err = readURLs(*file, stdin); err != nil {
			return cmd.Fail(err) // escaped: the name is the user's
		}
		names = urls
	}
	if len(urls) == 0 && !fileSet {
		names = demoPaths
	}
	if slices.ContainsFunc(names, onDemo) {
		d, err := startDemo("127.0.0.1:0")
		if err != nil {
			return cmd.Fail(fmt.Errorf("demo server: %w", err))
		}
		defer d.close()
		urls = make([]string, len(names))
		for i, p := range names {
			if urls[i] = p; onDemo(p) {
				urls[i] = d.url() + p
			}
		}
	}
	return fetchAll(cfg, urls, names, stdout, stderr)
}

// onDemo reports whether arg names a path on the demo server.
func onDemo(arg string) bool { return strings.HasPrefix(arg, "/") }

// ANCHOR: fetch-all

// fetchAll fetches urls as cfg says and prints a line for each, named
// names[i], then the summary. It returns the exit status.
func fetchAll(cfg config, urls, names []string, stdout, stderr io.Writer) int {
	var f fetcher
	var err error
	if cfg.std {
		f = newStdFetcher(cfg)
	} else if f, err = newBookFetcher(cfg); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		return 1
	}
	p := newPrinter(stdout, names)
	start := time.Now()
	f.fetch(urls, p.print)
	err = errors.Join(p.err, f.close())
	if p.err == nil {
		err = errors.Join(err, p.summary(time.Since(start)))
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		return 1
	case p.failed > 0:
		return 1
	}
	return 0
}

// ANCHOR_END: fetch-all

// A fetcher is either client, as the program drives it.
type fetcher interface {
	// fetch fetches urls and calls each with every URL's index and
	// result, in input order, on the caller's goroutine; if each returns
	// false, fetch stops the fetches still running and returns.
	fetch(urls []string, each func(i int, r fetch.Result) bool)
	// close releases what the fetcher kept: idle connections, the
	// runtime.
	close() error
}

// maxLine is the longest line -f reads.
const maxLine = 1 << 20

// readURLs reads the URLs of file (- is stdin): one per line, with
// leading and trailing space removed, blank lines and lines starting
// with # skipped.
func readURLs(file string, stdin io.Reader) ([]string, error) {
	r := stdin
	name := "standard input"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, file
	}
	var urls []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		urls = append(urls, line)
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return nil, fmt.Errorf("%s: line %d: longer than %d bytes", name, n+1, maxLine)
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return urls, nil
}
