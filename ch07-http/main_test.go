package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// The program is tested in this process: runWith takes its standard
// input from the test, and -serve its stop signal from a channel. Every
// run has a watchdog (reactortest.Await): a run that hangs fails its
// test after reactortest.StallLimit instead of hanging go test. Nothing
// sleeps to wait: the slow routes (/slow, /hang) and the timeouts are
// what is tested, and a test asserts only that a timeout fires and the
// run ends, never how fast.

// clients are the two clients, by the flags that choose them; the
// book's runs twice, its idle worker asleep in Go's netpoller (the
// default) and in the kernel.
var clients = []struct {
	name  string
	flags []string
}{
	{"book", nil},
	{"kernel", []string{"-netpoller=false"}},
	{"std", []string{"-std"}},
}

// isStd reports whether flags choose net/http.
func isStd(flags []string) bool { return slices.Contains(flags, "-std") }

// forClients runs f as a subtest for each client; the book's is skipped,
// saying why, where the runtime cannot run.
func forClients(t *testing.T, f func(t *testing.T, flags []string)) {
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			if !isStd(c.flags) {
				needReactor(t)
			}
			f(t, c.flags)
		})
	}
}

// needReactor skips a test of the book's client where it cannot run.
func needReactor(t testing.TB) {
	t.Helper()
	r, err := reactor.New()
	if errors.Is(err, reactor.ErrUnsupported) {
		t.Skipf("the book's client needs epoll or kqueue: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

// result is what one run of the program did.
type result struct {
	stdout, stderr string
	code           int
}

// lines returns stdout's lines.
func (r result) lines() []string {
	return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\nstdout:\n%sstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runProg runs the program with args and stdin, under a watchdog.
func runProg(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runProgTo(t, stdin, &reactortest.LockedBuffer{}, args...)
}

// runProgTo is runProg with stdout going to w.
func runProgTo(t *testing.T, stdin string, w interface {
	Write([]byte) (int, error)
	String() string
}, args ...string) result {
	t.Helper()
	var stderr reactortest.LockedBuffer
	done := make(chan struct{})
	var code int
	go func() {
		defer close(done)
		code = runWith(args, strings.NewReader(stdin), w, &stderr, nil)
	}()
	reactortest.Await(t, done, nil, fmt.Sprintf("ch07-http %s to end", strings.Join(args, " ")))
	return result{w.String(), stderr.String(), code}
}

// startTestDemo starts the demo server on an ephemeral port; it is
// closed, under a watchdog, when the test ends.
func startTestDemo(t *testing.T) *demoServer {
	t.Helper()
	d, err := startDemo("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { d.close(); close(done) }()
		reactortest.Await(t, done, nil, "the demo server to close")
	})
	return d
}

// timePattern is what a time column holds.
const timePattern = `\d+(?:\.\d)?ms`

// wantLine turns an expected line into a regular expression: the text
// is literal, except that "~ms" and the spaces before it stand for a
// time in its column, and "~any" for any text.
func wantLine(s string) *regexp.Regexp {
	q := regexp.QuoteMeta(s)
	q = regexp.MustCompile(` +~ms`).ReplaceAllString(q, ` +`+timePattern)
	q = strings.ReplaceAll(q, "~any", ".*")
	return regexp.MustCompile("^" + q + "$")
}

// matchLines checks that got has a line for each of want, in order.
func matchLines(t *testing.T, got []string, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for i, w := range want {
		if !wantLine(w).MatchString(got[i]) {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, got[i], w)
		}
	}
}

// demoOutput is the demo's output, times aside, from either client; only
// /truncated's error text differs between them.
func demoOutput(truncated string) []string {
	return []string{
		`/todos/1    200   58 B ~ms  "count lines three ways"`,
		`/todos/2    200   57 B ~ms  "poll a future by hand"`,
		`/todos/3    200   62 B ~ms  "park an executor, not spin"`,
		`/todos/4    200   63 B ~ms  "wait for epoll to say ready"`,
		`/todos/5    200   59 B ~ms  "fire the earliest timer"`,
		`/todos/6    200   58 B ~ms  "steal half a run queue"`,
		`/todos/7    200   58 B ~ms  "echo bytes on a socket"`,
		`/todos/8    200   56 B ~ms  "parse a status line"`,
		`/todos/9    200   56 B ~ms  "read a chunked body"`,
		`/todos/10   200   61 B ~ms  "fetch ten todos at once"`,
		`/slow       200   56 B ~ms  "answer after 300ms"`,
		`/todos/99   404   26 B ~ms`,
		`/missing    404   19 B ~ms`,
		`/error      500   24 B ~ms`,
		`/redirect   200   58 B ~ms  "count lines three ways" (1 redirect)`,
		`/chunked    200   60 B ~ms  "skip a chunk extension"`,
		`/truncated  error: ` + truncated,
		`17 URLs in ~ms: 16 answered, 1 failed`,
	}
}

// truncatedError is /truncated's error text from each client.
var truncatedError = map[bool]string{
	false: "unexpected EOF: body ended after 20 of 64 bytes",
	true:  "unexpected EOF",
}

func TestDemo(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		r := runProg(t, "", flags...)
		if r.code != 1 || r.stderr != "" {
			t.Errorf("want exit status 1 (a URL failed) and nothing on stderr; got\n%v", r)
		}
		matchLines(t, r.lines(), demoOutput(truncatedError[isStd(flags)]))
		for i, l := range r.lines() {
			if n := len([]rune(l)); n > 72 {
				t.Errorf("line %d is %d columns, more than the page's 72: %q", i+1, n, l)
			}
		}
	})
}

// TestSlowDoesNotHold checks that a slow URL does not hold up the
// others: the first URL's server answers only once it has served the
// ten after it, so a client that waited for it before fetching them
// would hang (and the watchdog would say so). With -c 2 the ten take
// turns in the one slot left. The lines still come in input order.
func TestSlowDoesNotHold(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		var mu sync.Mutex
		served := 0
		tenServed := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/gate" {
				select {
				case <-tenServed:
				case <-r.Context().Done():
					return
				}
			} else {
				mu.Lock()
				if served++; served == 10 {
					close(tenServed)
				}
				mu.Unlock()
			}
			io.WriteString(w, r.URL.Path)
		}))
		defer srv.Close()
		urls := []string{srv.URL + "/gate"}
		for i := range 10 {
			urls = append(urls, fmt.Sprintf("%s/%d", srv.URL, i))
		}
		args := append(append([]string(nil), flags...), "-c", "2")
		r := runProg(t, "", append(args, urls...)...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("want exit status 0 and nothing on stderr; got\n%v", r)
		}
		want := []string{srv.URL + "/gate  200    5 B ~ms"}
		for i := range 10 {
			want = append(want, fmt.Sprintf("%s/%d     200    2 B ~ms", srv.URL, i))
		}
		matchLines(t, r.lines(), append(want, "11 URLs in ~ms: 11 answered, 0 failed"))
	})
}

// TestDemoRoutes fetches each route of the demo server by itself and
// checks its line and the exit status.
func TestDemoRoutes(t *testing.T) {
	routes := []struct {
		path   string
		flags  []string
		book   string // the line, after the URL
		std    string // if different
		status int
	}{
		{"/todos/1", nil, ` 200   58 B ~ms  "count lines three ways"`, "", 0},
		{"/todos/10", nil, ` 200   61 B ~ms  "fetch ten todos at once"`, "", 0},
		{"/todos/0", nil, ` 404   25 B ~ms`, "", 0},
		{"/todos/01", nil, ` 404   26 B ~ms`, "", 0},
		{"/slow", nil, ` 200   56 B ~ms  "answer after 300ms"`, "", 0},
		{"/missing", nil, ` 404   19 B ~ms`, "", 0},
		{"/nowhere", nil, ` 404   19 B ~ms`, "", 0},
		{"/error", nil, ` 500   24 B ~ms`, "", 0},
		{"/redirect", nil, ` 200   58 B ~ms  "count lines three ways" (1 redirect)`, "", 0},
		{"/redirect", []string{"-max-redirects", "0"}, ` 302   31 B ~ms`, "", 0},
		{"/chunked", nil, ` 200   60 B ~ms  "skip a chunk extension"`, "", 0},
		{"/truncated", nil, ` error: unexpected EOF: body ended after 20 of 64 bytes`, ` error: unexpected EOF`, 1},
		{"/loop", nil, ` error: stopped after 10 redirects`, "", 1},
		{"/loop", []string{"-max-redirects", "3"}, ` error: stopped after 3 redirects`, "", 1},
		{"/hang", []string{"-timeout", "50ms"}, ` error: request timeout`,
			` error: ~any (Client.Timeout exceeded while awaiting headers)`, 1},
		{"/hang", []string{"-deadline", "50ms"}, ` error: run deadline passed`, "", 1},
		{"/todos/1", []string{"-max-body", "10"}, ` error: response body too large: Content-Length 58 is over 10`,
			` error: response body too large: more than 10 bytes`, 1},
		{"/todos/1", []string{"-max-header", "10"}, ` error: response header too large`,
			` error: net/http: HTTP/1.x transport connection broken: net/http: server response headers exceeded 10 bytes; aborted`, 1},
	}
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		for _, rt := range routes {
			u := d.url() + rt.path
			args := append(append(append([]string(nil), flags...), rt.flags...), u)
			r := runProg(t, "", args...)
			want := rt.book
			if isStd(flags) && rt.std != "" {
				want = rt.std
			}
			if r.code != rt.status || r.stderr != "" {
				t.Errorf("%v: want exit status %d and nothing on stderr; got\n%v", args, rt.status, r)
			}
			answered, failed := 1, 0
			if rt.status != 0 {
				answered, failed = 0, 1
			}
			matchLines(t, r.lines(), []string{
				u + " " + want,
				fmt.Sprintf("1 URL in ~ms: %d answered, %d failed", answered, failed),
			})
		}
	})
}

// TestThousandURLs fetches 1,000 URLs, 50 at once, from a server that
// counts its hits: each URL is fetched exactly once, and the lines come
// in input order, each with its own URL's answer.
func TestThousandURLs(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		s := newCountingServer(t)
		const n = 1000
		urls := make([]string, n)
		for i := range urls {
			urls[i] = fmt.Sprintf("%s/n/%d", s.url, i)
		}
		file := filepath.Join(t.TempDir(), "urls.txt")
		if err := os.WriteFile(file, []byte(strings.Join(urls, "\n")+"\n"), 0o666); err != nil {
			t.Fatal(err)
		}
		r := runProg(t, "", append(flags, "-c", "50", "-f", file)...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("want exit status 0 and nothing on stderr; got\n%v", r)
		}
		want := make([]string, 0, n+1)
		width := len(urls[n-1])
		for i, u := range urls {
			want = append(want, fmt.Sprintf("%-*s  200 %6s ~ms  %q",
				width, u, fmt.Sprintf("%d B", len(countingBody(i))), fmt.Sprintf("n%d", i)))
		}
		want = append(want, "1000 URLs in ~ms: 1000 answered, 0 failed")
		matchLines(t, r.lines(), want)
		s.checkOnce(t, n)
	})
}

// TestStress runs the demo again and again, at several -c, and checks
// the summary and the order of the lines each time: the reordering of
// results is where a race would show.
func TestStress(t *testing.T) {
	runs := 6
	if testing.Short() {
		runs = 2
	}
	forClients(t, func(t *testing.T, flags []string) {
		want := demoOutput(truncatedError[isStd(flags)])
		for i := range runs {
			c := []string{"1", "3", "16", "100"}[i%4]
			r := runProg(t, "", append(flags, "-c", c)...)
			if r.code != 1 {
				t.Fatalf("-c %s: want exit status 1; got\n%v", c, r)
			}
			matchLines(t, r.lines(), want)
		}
	})
}

// TestFileAndStdin reads URLs from a file and from standard input, with
// blank lines, comments and spaces around the URLs.
func TestFileAndStdin(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		list := fmt.Sprintf("# two todos\n\n  %[1]s/todos/2  \n\t\n#%[1]s/todos/3\n%[1]s/missing", d.url())
		want := []string{
			d.url() + `/todos/2  200   57 B ~ms  "poll a future by hand"`,
			d.url() + `/missing  404   19 B ~ms`,
			"2 URLs in ~ms: 2 answered, 0 failed",
		}
		file := filepath.Join(t.TempDir(), "urls.txt")
		if err := os.WriteFile(file, []byte(list), 0o666); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"-f", file}, {"-f", "-"}} {
			stdin := ""
			if args[1] == "-" {
				stdin = list
			}
			r := runProg(t, stdin, append(flags, args...)...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%v: want exit status 0 and nothing on stderr; got\n%v", args, r)
			}
			matchLines(t, r.lines(), want)
		}
	})
}

// TestFileErrors: a missing file, and a line too long, are one line on
// stderr and exit status 1, before anything is fetched.
func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.txt")
	if err := os.WriteFile(long, []byte("http://a/\n"+strings.Repeat("x", maxLine+1)+"\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.txt")
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"-f", missing}, "", "ch07-http: open " + missing + ": no such file or directory\n"},
		{[]string{"-f", long}, "", fmt.Sprintf("ch07-http: %s: line 2: longer than %d bytes\n", long, maxLine)},
		{[]string{"-f", "-"}, strings.Repeat("y", maxLine+1), fmt.Sprintf("ch07-http: standard input: line 1: longer than %d bytes\n", maxLine)},
	} {
		r := runProg(t, tc.stdin, tc.args...)
		if runtime.GOOS == "windows" && strings.Contains(tc.want, "no such file") {
			tc.want = "" // Windows words it differently; the status is checked
		}
		if r.code != 1 || r.stdout != "" || (tc.want != "" && r.stderr != tc.want) {
			t.Errorf("%v: want exit status 1, nothing on stdout and stderr %q; got\n%v", tc.args, tc.want, r)
		}
	}
}

// TestEmptyList: a file with no URL in it fetches nothing and says so.
func TestEmptyList(t *testing.T) {
	r := runProg(t, "# nothing\n\n", "-std", "-f", "-")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("want exit status 0; got\n%v", r)
	}
	matchLines(t, r.lines(), []string{"0 URLs in ~ms: 0 answered, 0 failed"})
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"-c", "0"}, "-c 0: want 1 to 100000"},
		{[]string{"-c", "100001"}, "-c 100001: want 1 to 100000"},
		{[]string{"-c", "many"}, `invalid value "many" for flag -c: parse error`},
		{[]string{"-timeout", "-1s"}, "-timeout -1s: want 0 (no limit) or more"},
		{[]string{"-timeout", "5"}, `invalid value "5" for flag -timeout: parse error`},
		{[]string{"-connect-timeout", "0"}, "-connect-timeout 0s: want more than 0"},
		{[]string{"-deadline", "-1ms"}, "-deadline -1ms: want 0 (none) or more"},
		{[]string{"-max-redirects", "-1"}, "-max-redirects -1: want 0 to 100"},
		{[]string{"-max-redirects", "101"}, "-max-redirects 101: want 0 to 100"},
		{[]string{"-max-body", "-1"}, "-max-body -1: want 0 to 1099511627776"},
		{[]string{"-max-header", "0"}, "-max-header 0: want 1 to 1099511627776"},
		{[]string{"-workers", "-1"}, "-workers -1: want 0 to 1024"},
		{[]string{"-workers", "1025"}, "-workers 1025: want 0 to 1024"},
		{[]string{"-f", ""}, "-f: want a file name, or - for standard input"},
		{[]string{"-f", "urls.txt", "http://a/"}, "-f and URL arguments: give one or the other"},
		{[]string{"-std", "-netpoller"}, "-netpoller is for the book's runtime; -std has none"},
		{[]string{"-serve", "127.0.0.1:0", "http://a/"}, "-serve runs only the demo server: it takes no URLs"},
		{[]string{"-serve", "127.0.0.1:0", "-f", "-"}, "-serve runs only the demo server: it takes no URLs"},
	} {
		r := runProg(t, "", tc.args...)
		want := "ch07-http: " + tc.want + " (see ch07-http -h)\n"
		if r.code != 2 || r.stdout != "" || r.stderr != want {
			t.Errorf("%v: want exit status 2, nothing on stdout, stderr %q; got\n%v", tc.args, want, r)
		}
	}
	r := runProg(t, "", "-h")
	if r.code != 0 || r.stdout != usage || r.stderr != "" {
		t.Errorf("-h: want the usage on stdout, status 0; got\n%v", r)
	}
}

// TestUsageFits checks that -h fits a 72-column terminal.
func TestUsageFits(t *testing.T) {
	for i, l := range strings.Split(usage, "\n") {
		if n := len([]rune(l)); n > 72 {
			t.Errorf("usage line %d is %d columns: %q", i+1, n, l)
		}
	}
}

// TestBadURLs: a URL that does not parse, or that neither client can
// fetch, is that URL's error, not a usage error, and the others are
// still fetched.
func TestBadURLs(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		ok := d.url() + "/todos/5"
		r := runProg(t, "", append(flags, "://nope", "http://", "ftp://x/", ok)...)
		if r.code != 1 || r.stderr != "" {
			t.Errorf("want exit status 1 and nothing on stderr; got\n%v", r)
		}
		want := map[bool][]string{
			false: {"missing protocol scheme", "no host in URL", `unsupported protocol scheme "ftp"`},
			true:  {`parse "://nope": missing protocol scheme`, "http: no Host in request URL", `unsupported protocol scheme "ftp"`},
		}[isStd(flags)]
		pad := strings.Repeat(" ", len(ok)-len("://nope"))
		matchLines(t, r.lines(), []string{
			"://nope" + pad + "  error: " + want[0],
			"http://" + pad + "  error: " + want[1],
			"ftp://x/" + pad[1:] + "  error: " + want[2],
			ok + `  200   59 B ~ms  "fire the earliest timer"`,
			"4 URLs in ~ms: 1 answered, 3 failed",
		})
	})
}

// TestHTTPS: the book's client says it speaks plain HTTP; nothing is
// dialled (127.0.0.1:1 would refuse).
func TestHTTPS(t *testing.T) {
	needReactor(t)
	r := runProg(t, "", "https://127.0.0.1:1/")
	if r.code != 1 || r.stderr != "" {
		t.Errorf("want exit status 1 and nothing on stderr; got\n%v", r)
	}
	matchLines(t, r.lines(), []string{
		"https://127.0.0.1:1/  error: https is not supported: this client speaks plain HTTP",
		"1 URL in ~ms: 0 answered, 1 failed",
	})
}

// TestSilentServer: a server that accepts connections and never reads
// or writes a byte does not hang the run: -timeout ends each URL, and
// -deadline the whole run, including the URLs that never started.
func TestSilentServer(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		addr := silentServer(t)
		u := "http://" + addr + "/"
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"-timeout", "30ms", "-c", "2"}, map[bool]string{
				false: "request timeout",
				true:  "~any (Client.Timeout exceeded while awaiting headers)",
			}[isStd(flags)]},
			{[]string{"-deadline", "30ms", "-c", "1"}, "run deadline passed"},
		} {
			r := runProg(t, "", append(append(append([]string(nil), flags...), tc.args...), u, u, u)...)
			if r.code != 1 || r.stderr != "" {
				t.Errorf("%v: want exit status 1 and nothing on stderr; got\n%v", tc.args, r)
			}
			matchLines(t, r.lines(), []string{
				u + "  error: " + tc.want,
				u + "  error: " + tc.want,
				u + "  error: " + tc.want,
				"3 URLs in ~ms: 0 answered, 3 failed",
			})
		}
	})
}

// silentServer listens on 127.0.0.1, accepts every connection and never
// writes a byte to it; it reads what comes, and closes the connection
// when the client closes its end.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				io.Copy(io.Discard, c) // until the client hangs up
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, syscall.ENOSPC
}

func (w *failingWriter) String() string { return "" }

// TestWriteError: once standard output fails, the run stops: the
// fetches still under way (here, two that would never end) are aborted,
// and the error is one line on stderr, status 1.
func TestWriteError(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		w := &failingWriter{}
		r := runProgTo(t, "", w, append(flags, d.url()+"/todos/1", d.url()+"/hang", d.url()+"/hang")...)
		want := "ch07-http: " + syscall.ENOSPC.Error() + "\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("want exit status 1 and stderr %q; got\n%v", want, r)
		}
		if w.n != 1 {
			t.Errorf("%d writes after the first failed, want none", w.n-1)
		}
	})
}

// TestServe runs -serve on an ephemeral port, fetches from it with the
// book's client, and stops it with a signal.
func TestServe(t *testing.T) {
	var stdout lineWatch
	stdout.init()
	var stderr reactortest.LockedBuffer
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	code := -1
	go func() {
		defer close(done)
		code = runWith([]string{"-serve", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr, sigs)
	}()
	first := stdout.await(t, done)
	m := regexp.MustCompile(`^serving the demo on (http://127\.0\.0\.1:\d+) until SIGINT or SIGTERM:$`).FindStringSubmatch(first)
	if m == nil {
		sigs <- syscall.SIGTERM
		reactortest.Await(t, done, nil, "-serve to stop")
		t.Fatalf("first line %q; stderr %q", first, stderr.String())
	}
	r := runProg(t, "", "-std", m[1]+"/todos/3", m[1]+"/chunked")
	matchLines(t, r.lines(), []string{
		m[1] + `/todos/3  200   62 B ~ms  "park an executor, not spin"`,
		m[1] + `/chunked  200   60 B ~ms  "skip a chunk extension"`,
		"2 URLs in ~ms: 2 answered, 0 failed",
	})
	sigs <- syscall.SIGTERM
	reactortest.Await(t, done, nil, "-serve to stop after SIGTERM")
	if code != 0 || stderr.String() != "" {
		t.Errorf("-serve: exit status %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
	if _, err := net.Dial("tcp", strings.TrimPrefix(m[1], "http://")); err == nil {
		t.Errorf("the demo server still listens after SIGTERM")
	}
}

// TestServeBadAddr: an address -serve cannot listen on is one line on
// stderr and status 1.
func TestServeBadAddr(t *testing.T) {
	r := runProg(t, "", "-serve", "127.0.0.1:99999")
	if r.code != 1 || r.stdout != "" || !regexp.MustCompile(`^ch07-http: listen tcp: address 99999: invalid port\n$`).MatchString(r.stderr) {
		t.Errorf("want exit status 1 and one line on stderr; got\n%v", r)
	}
}

// TestServePortInUse: a port another socket holds is one line on stderr
// and status 1.
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	r := runProg(t, "", "-serve", addr)
	want := "ch07-http: listen tcp " + addr + ": bind: address already in use\n"
	if r.code != 1 || r.stdout != "" || r.stderr != want {
		t.Errorf("want exit status 1 and stderr %q; got\n%v", want, r)
	}
}

// lineWatch is a writer whose first line a test can wait for.
type lineWatch struct {
	reactortest.LockedBuffer
	once  sync.Once
	first chan string
}

func (w *lineWatch) init() { w.first = make(chan string, 1) }

func (w *lineWatch) Write(p []byte) (int, error) {
	n, err := w.LockedBuffer.Write(p)
	if s := w.LockedBuffer.String(); strings.Contains(s, "\n") {
		w.once.Do(func() { w.first <- s[:strings.IndexByte(s, '\n')] })
	}
	return n, err
}

// await waits for the first line, or for the run to end without one.
func (w *lineWatch) await(t *testing.T, done <-chan struct{}) string {
	t.Helper()
	select {
	case l := <-w.first:
		return l
	case <-done:
		t.Fatalf("the program ended without a line on stdout: %q", w.String())
	case <-time.After(reactortest.StallLimit):
		t.Fatalf("no line on stdout after %v", reactortest.StallLimit)
	}
	return ""
}

// TestNoLeaks runs the demo with each client, and the fetch of a silent
// server that times out, and checks that every goroutine the run started
// has ended and every descriptor it opened is closed: the runtime, the
// demo server, the connections, kept or abandoned.
func TestNoLeaks(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		addr := silentServer(t)
		runProg(t, "", flags...) // a first run starts what stays (net/http's, the resolver's)
		goroutines := runtime.NumGoroutine()
		fds, _ := reactortest.OpenFDs()
		for range 2 {
			if r := runProg(t, "", flags...); r.code != 1 {
				t.Fatalf("the demo: want exit status 1; got\n%v", r)
			}
			u := "http://" + addr + "/"
			if r := runProg(t, "", append(flags, "-timeout", "20ms", u, u)...); r.code != 1 {
				t.Fatalf("the silent server: want exit status 1; got\n%v", r)
			}
		}
		reactortest.GoroutinesBack(t, goroutines)
		reactortest.FDsBack(t, fds)
	})
}
