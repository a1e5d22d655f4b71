package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"
)

// reference is a second, independent line counter, written the obvious way
// over a whole file in memory: what count must agree with.
func reference(data []byte, runes bool) []byte {
	var out bytes.Buffer
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte("\n"))
		if found {
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		n := len(line)
		if runes {
			n = utf8.RuneCount(line)
		}
		fmt.Fprintf(&out, "%d %s\n", n, line)
		data = rest
	}
	return out.Bytes()
}

// TestCount checks count on inputs chosen to break a line counter: line
// endings, empty lines, a missing final newline, UTF-8 and bytes that are
// not UTF-8.
func TestCount(t *testing.T) {
	tests := []struct {
		name, in, bytes, runes string
	}{
		{"empty input", "", "", ""},
		{"one empty line", "\n", "0 \n", "0 \n"},
		{"two empty lines", "\n\n", "0 \n0 \n", "0 \n0 \n"},
		{"no final newline", "a\nbc", "1 a\n2 bc\n", "1 a\n2 bc\n"},
		{"CRLF", "a\r\nbc\r\n", "1 a\n2 bc\n", "1 a\n2 bc\n"},
		{"CRLF empty line", "\r\n", "0 \n", "0 \n"},
		{"lone CR inside", "a\rb\n", "3 a\rb\n", "3 a\rb\n"},
		{"lone CR at end of input", "a\r", "2 a\r\n", "2 a\r\n"},
		{"CR CR LF loses one CR", "a\r\r\n", "2 a\r\n", "2 a\r\n"},
		{"accents", "héllo\n", "6 héllo\n", "5 héllo\n"},
		{"CJK", "日本語\n", "9 日本語\n", "3 日本語\n"},
		{"invalid UTF-8 passes through", "caf\xe9\n\xff\xfe\n", "4 caf\xe9\n2 \xff\xfe\n", "4 caf\xe9\n2 \xff\xfe\n"},
		{"truncated UTF-8", "\xe6\x97\n", "2 \xe6\x97\n", "2 \xe6\x97\n"},
		{"NUL bytes", "a\x00b\n", "3 a\x00b\n", "3 a\x00b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, runes := range []bool{false, true} {
				want := tt.bytes
				if runes {
					want = tt.runes
				}
				var out bytes.Buffer
				if err := count(strings.NewReader(tt.in), &out, runes); err != nil {
					t.Fatalf("count(%q, runes=%v): %v", tt.in, runes, err)
				}
				if out.String() != want {
					t.Errorf("count(%q, runes=%v) = %q, want %q", tt.in, runes, out.String(), want)
				}
				if ref := string(reference([]byte(tt.in), runes)); ref != want {
					t.Errorf("reference(%q, runes=%v) = %q, want %q: the table or the reference is wrong", tt.in, runes, ref, want)
				}
			}
		})
	}
}

// TestCountLongLines checks lines around bufio.Reader's 4 KiB buffer, where
// a line arrives in pieces (a CRLF split between two of them included),
// and lines of 1 MiB and 10 MiB.
func TestCountLongLines(t *testing.T) {
	for _, n := range []int{4094, 4095, 4096, 4097, 8191, 8192, 1 << 20, 10 << 20} {
		for _, eol := range []string{"\n", "\r\n", ""} {
			if n > 1<<20 && eol != "\n" {
				continue // the pieces are the same as at 1 MiB; keep the race run short
			}
			in := strings.Repeat("x", n) + eol + "after\n"
			var out bytes.Buffer
			if err := count(strings.NewReader(in), &out, false); err != nil {
				t.Fatalf("%d bytes + %q: %v", n, eol, err)
			}
			if want := reference([]byte(in), false); !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%d bytes + %q: output differs from the reference (got %d bytes, want %d)", n, eol, out.Len(), len(want))
			}
		}
	}
}

// ANCHOR: scanner-trap

// TestScannerTrap shows why count does not use bufio.Scanner: with its
// default limit, a Scanner gives up on a 1 MiB line, and stops early
// without printing it. count reads the same input to its end.
func TestScannerTrap(t *testing.T) {
	in := strings.Repeat("x", 1<<20) + "\nnext\n"

	sc := bufio.NewScanner(strings.NewReader(in))
	lines := 0
	for sc.Scan() {
		lines++
	}
	if !errors.Is(sc.Err(), bufio.ErrTooLong) || lines != 0 {
		t.Fatalf("Scanner: %d lines, error %v; want 0 lines and %v",
			lines, sc.Err(), bufio.ErrTooLong)
	}

	var out bytes.Buffer
	if err := count(strings.NewReader(in), &out, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\n4 next\n") {
		t.Fatalf("count did not reach the line after the long one")
	}
}

// ANCHOR_END: scanner-trap

// failingReader returns data, then err.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestCountReadError checks that a read error is returned, after the lines
// that were complete, and that the line cut short is not printed.
func TestCountReadError(t *testing.T) {
	boom := errors.New("boom")
	var out bytes.Buffer
	err := count(&failingReader{"a\nbb\nunfinished", boom}, &out, false)
	if err != boom {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if got, want := out.String(), "1 a\n2 bb\n"; got != want {
		t.Fatalf("output %q, want %q", got, want)
	}
}

// limitedWriter accepts n bytes, then fails.
type limitedWriter struct {
	n   int
	err error
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteError checks that every model returns a write error from its
// output and leaves no goroutine behind (synctest fails the test if one
// is still running, or blocked, when the bubble ends).
func TestWriteError(t *testing.T) {
	full := errors.New("disk full")
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var inputs []input
				for range 50 {
					inputs = append(inputs, memInput("one line\nanother\n"))
				}
				err := m.run(inputs, &limitedWriter{n: 100, err: full}, options{jobs: 4})
				if err != full {
					t.Fatalf("err = %v, want %v", err, full)
				}
			})
		})
	}
}

// memInput returns an input that reads s.
func memInput(s string) input {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

// errInput returns an input whose open fails with err.
func errInput(err error) input {
	return func() (io.ReadCloser, error) { return nil, err }
}

// allModels is every model, pool with several limits.
func allModels() []struct {
	name string
	run  model
	o    options
} {
	type m = struct {
		name string
		run  model
		o    options
	}
	return []m{
		{"sequential", sequential, options{}},
		{"threads", threads, options{}},
		{"pool-j1", pool, options{jobs: 1}},
		{"pool-j3", pool, options{jobs: 3}},
		{"pool-j8", pool, options{jobs: 8}},
		{"pool-j1000", pool, options{jobs: 1000}},
	}
}

// writeCorpus writes n files of mixed sizes and shapes into dir and returns
// their names and contents: some empty, some with CRLF or a lone CR, some
// not UTF-8, some with no final newline, and one with a 1 MiB line.
func writeCorpus(t *testing.T, dir string, n int) (names []string, contents [][]byte) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		var b bytes.Buffer
		switch {
		case i%17 == 0: // empty
		case i == n/2:
			b.WriteString("short\n")
			b.Write(bytes.Repeat([]byte("é"), 1<<19)) // 1 MiB, 512 Ki runes
			b.WriteString("\nafter the long line\n")
		default:
			lines := rng.IntN(200)
			for range lines {
				for range rng.IntN(120) {
					switch r := rng.IntN(100); {
					case r < 2:
						b.WriteByte('\r')
					case r < 4:
						b.WriteByte(byte(0x80 + rng.IntN(0x80))) // not UTF-8 on its own
					case r < 8:
						b.WriteString("ü")
					default:
						b.WriteByte(byte('a' + rng.IntN(26)))
					}
				}
				if rng.IntN(4) == 0 {
					b.WriteString("\r\n")
				} else {
					b.WriteString("\n")
				}
			}
			if i%5 == 0 {
				b.WriteString("no newline at the end")
			}
		}
		name := filepath.Join(dir, fmt.Sprintf("f%03d.txt", i))
		if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		contents = append(contents, b.Bytes())
	}
	return names, contents
}

// TestModelsIdentical counts 200 real files with every model, in bytes and
// in runes, and checks each output is byte for byte the reference output.
func TestModelsIdentical(t *testing.T) {
	names, contents := writeCorpus(t, t.TempDir(), 200)
	inputs, err := inputsFor(names, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, runes := range []bool{false, true} {
		var want []byte
		for _, c := range contents {
			want = append(want, reference(c, runes)...)
		}
		for _, m := range allModels() {
			m.o.runes = runes
			var out bytes.Buffer
			if err := m.run(inputs, &out, m.o); err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s, runes=%v: output (%d bytes) differs from the reference (%d bytes)", m.name, runes, out.Len(), len(want))
			}
		}
	}
}

// TestModelsErrorIdentical puts a missing file at 117 and a directory at
// 150 among 200 real files. Every model must print files 0 to 116 in full,
// nothing more, and report file 117.
func TestModelsErrorIdentical(t *testing.T) {
	dir := t.TempDir()
	names, contents := writeCorpus(t, dir, 200)
	names[117] = filepath.Join(dir, "missing.txt")
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	names[150] = filepath.Join(dir, "adir")
	inputs, err := inputsFor(names, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, c := range contents[:117] {
		want = append(want, reference(c, false)...)
	}
	for _, m := range allModels() {
		var out bytes.Buffer
		err := m.run(inputs, &out, m.o)
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.txt") {
			t.Errorf("%s: err = %v, want the missing file's open error", m.name, err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: output (%d bytes) is not files 0-116 in full (%d bytes)", m.name, out.Len(), len(want))
		}
	}
}

// TestFirstErrorInArgumentOrder makes the order of failures in time the
// opposite of their order in the arguments: input 3 fails only after input
// 7 has failed. The concurrent models must still report input 3 and print
// inputs 0 to 2 in full. (Sequential never gets to input 7 first, so it
// would wait forever here; the other tests cover it.)
func TestFirstErrorInArgumentOrder(t *testing.T) {
	err3, err7 := errors.New("input 3 failed"), errors.New("input 7 failed")
	for _, m := range allModels()[1:] {
		if m.o.jobs != 0 && m.o.jobs < 8 {
			continue // input 7 must be able to start while input 3 waits
		}
		t.Run(m.name, func(t *testing.T) {
			seven := make(chan struct{})
			inputs := make([]input, 12)
			for i := range inputs {
				inputs[i] = memInput(fmt.Sprintf("input %d\n", i))
			}
			inputs[3] = func() (io.ReadCloser, error) { <-seven; return nil, err3 }
			inputs[7] = func() (io.ReadCloser, error) { close(seven); return nil, err7 }
			var out bytes.Buffer
			if err := m.run(inputs, &out, m.o); err != err3 {
				t.Fatalf("err = %v, want %v", err, err3)
			}
			if got, want := out.String(), "7 input 0\n7 input 1\n7 input 2\n"; got != want {
				t.Fatalf("output %q, want %q", got, want)
			}
		})
	}
}

// TestPartialFailedInput checks that an input that fails in the middle is
// printed up to its last complete line by every model, then nothing else.
func TestPartialFailedInput(t *testing.T) {
	eio := errors.New("input/output error")
	for _, m := range allModels() {
		inputs := []input{
			memInput("a\n"),
			func() (io.ReadCloser, error) {
				return io.NopCloser(&failingReader{"bb\ncut sh", eio}), nil
			},
			memInput("never printed\n"),
		}
		var out bytes.Buffer
		if err := m.run(inputs, &out, m.o); err != eio {
			t.Errorf("%s: err = %v, want %v", m.name, err, eio)
		}
		if got, want := out.String(), "1 a\n2 bb\n"; got != want {
			t.Errorf("%s: output %q, want %q", m.name, got, want)
		}
	}
}

// TestConcurrencyShape runs the models inside a synctest bubble, where
// time is fake and moves only when every goroutine is blocked, over inputs
// whose open takes 10ms. It checks how many opens each model has in flight
// at most, and how long each takes on the fake clock: n×10ms one at a
// time, 10ms all at once, ceil(n/j)×10ms j at a time. It also checks, as
// synctest does for every bubble, that no goroutine outlives the run.
func TestConcurrencyShape(t *testing.T) {
	const n, delay = 20, 10 * time.Millisecond
	tests := []struct {
		name       string
		run        model
		jobs       int
		maxOpen    int
		wantElapse time.Duration
	}{
		{"sequential", sequential, 0, 1, n * delay},
		{"threads", threads, 0, n, delay},
		{"pool-j1", pool, 1, 1, n * delay},
		{"pool-j4", pool, 4, 4, 5 * delay},
		{"pool-j6", pool, 6, 6, 4 * delay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var open, most atomic.Int64
				var mu sync.Mutex
				var inputs []input
				for i := range n {
					inputs = append(inputs, func() (io.ReadCloser, error) {
						mu.Lock()
						most.Store(max(most.Load(), open.Add(1)))
						mu.Unlock()
						time.Sleep(delay)
						return closeFunc{strings.NewReader(fmt.Sprintf("%d\n", i)), func() { open.Add(-1) }}, nil
					})
				}
				start := time.Now()
				var out bytes.Buffer
				if err := tt.run(inputs, &out, options{jobs: tt.jobs}); err != nil {
					t.Fatal(err)
				}
				if elapsed := time.Since(start); elapsed != tt.wantElapse {
					t.Errorf("took %v on the fake clock, want %v", elapsed, tt.wantElapse)
				}
				if got := most.Load(); got != int64(tt.maxOpen) {
					t.Errorf("at most %d inputs open at once, want %d", got, tt.maxOpen)
				}
				if out.Len() == 0 || !strings.HasPrefix(out.String(), "1 0\n1 1\n1 2\n") {
					t.Errorf("output out of order: %q", out.String())
				}
			})
		})
	}
}

// closeFunc is a reader whose Close calls a function.
type closeFunc struct {
	io.Reader
	close func()
}

func (c closeFunc) Close() error { c.close(); return nil }

// TestLatency checks -latency on the fake clock: each open waits it, one
// after the other in sequential, overlapped in threads. With an early
// failure, the concurrent models stop waiting and leave no goroutine.
func TestLatency(t *testing.T) {
	const n, latency = 10, 20 * time.Millisecond
	inputs := make([]input, n)
	for i := range inputs {
		inputs[i] = memInput("x\n")
	}
	for _, tt := range []struct {
		run  model
		want time.Duration
	}{{sequential, n * latency}, {threads, latency}, {pool, 3 * latency}} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			if err := tt.run(inputs, io.Discard, options{latency: latency, jobs: 4}); err != nil {
				t.Fatal(err)
			}
			if got := time.Since(start); got != tt.want {
				t.Errorf("took %v, want %v", got, tt.want)
			}
		})
	}

	failing := append([]input{}, inputs...)
	failing[1] = errInput(errors.New("early failure"))
	for _, m := range models {
		synctest.Test(t, func(t *testing.T) {
			if err := m.run(failing, io.Discard, options{latency: latency, jobs: 4}); err == nil {
				t.Errorf("%s: no error", m.name)
			}
		})
	}
}

// TestUnreadableFile checks the message for a file that cannot be opened:
// a chmod 000 file, or, for root, whom chmod 000 does not stop (and CI runs
// as root), a file that refuses reads to root too, Linux's write-only
// sysctl /proc/sys/vm/drop_caches.
func TestUnreadableFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(name, []byte("hidden\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(name); err == nil { // root, or a file system that ignores modes
		f.Close()
		name = "/proc/sys/vm/drop_caches"
		if f, err := os.Open(name); !errors.Is(err, fs.ErrPermission) {
			if err == nil {
				f.Close()
			}
			t.Skipf("chmod 000 does not stop this user from reading, and %s is not there to refuse a read (%v)", name, err)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{name}, nil, &stdout, &stderr); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if want := "ch01-models: open " + name + ": permission denied\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}

// TestRunUsageErrors checks that every usage error is one line on stderr,
// exit status 2, and nothing on stdout.
func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-model", "fibers"}, `ch01-models: invalid value "fibers" for flag -model: want sequential, threads or pool (see ch01-models -h)`},
		{[]string{"-bogus"}, `ch01-models: flag provided but not defined: -bogus (see ch01-models -h)`},
		{[]string{"-j", "0"}, `ch01-models: invalid value "0" for flag -j: must be at least 1 (see ch01-models -h)`},
		{[]string{"-j", "many"}, `ch01-models: invalid value "many" for flag -j: want a whole number (see ch01-models -h)`},
		{[]string{"-rounds", "0"}, `ch01-models: invalid value "0" for flag -rounds: must be at least 1 (see ch01-models -h)`},
		{[]string{"-latency", "-1ms"}, `ch01-models: invalid value "-1ms" for flag -latency: must not be negative (see ch01-models -h)`},
		{[]string{"-latency", "soon"}, `ch01-models: invalid value "soon" for flag -latency: want a duration such as 20ms (see ch01-models -h)`},
		{[]string{"-", "-"}, `ch01-models: standard input ("-") can be counted only once (see ch01-models -h)`},
		{[]string{"-compare", "-model", "pool"}, `ch01-models: -compare times every model; drop -model (see ch01-models -h)`},
		{[]string{"-compare", "-"}, `ch01-models: -compare reads each input several times, so it cannot read standard input ("-") (see ch01-models -h)`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, strings.NewReader(""), &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit status %d, want 2", tt.args, code)
		}
		if got := strings.TrimSuffix(stderr.String(), "\n"); got != tt.want {
			t.Errorf("%q: stderr\n%s\nwant\n%s", tt.args, got, tt.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", tt.args, stdout.String())
		}
	}
}

// TestRunDefault checks the program's output with no arguments in every
// model: the three built-in lines.
func TestRunDefault(t *testing.T) {
	const want = "11 Hello world\n26 Hope you have a great day!\n7 Goodbye\n"
	for _, m := range models {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-model", m.name}, nil, &stdout, &stderr); code != 0 || stdout.String() != want || stderr.Len() != 0 {
			t.Errorf("-model %s: exit %d, stdout %q, stderr %q", m.name, code, stdout.String(), stderr.String())
		}
	}
}

// TestNothingRunsAfterReturn checks that a model returns only when every
// input it opened is closed, on the error path too: input 0 fails at once
// while input 1 is still opening (10ms on the fake clock). A model that
// returned without waiting for its goroutines would leave input 1 open.
func TestNothingRunsAfterReturn(t *testing.T) {
	for _, m := range allModels()[1:] {
		t.Run(m.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var open atomic.Int64
				slow := func() (io.ReadCloser, error) {
					open.Add(1)
					time.Sleep(10 * time.Millisecond)
					return closeFunc{strings.NewReader("slow\n"), func() { open.Add(-1) }}, nil
				}
				inputs := []input{errInput(errors.New("fails first")), slow, slow, slow}
				if err := m.run(inputs, io.Discard, m.o); err == nil {
					t.Fatal("no error")
				}
				if n := open.Load(); n != 0 {
					t.Errorf("%d inputs still open after the model returned", n)
				}
			})
		})
	}
}
