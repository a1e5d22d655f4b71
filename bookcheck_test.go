package asyncbook_test

// Tests of the book checker itself. Each fixture in testdata/bookcheck/ is a
// small book, as a txtar archive, broken in one way (or, for good-book and
// the *-ok fixtures, not at all); its `want` file lists, one per line,
// substrings that the checker's problems must contain, such as the
// file:line of the fault. Output blocks in fixtures run against a fake
// runner that plays back files from the archive, so no program is built;
// TestCheckRealRunner builds one tiny program to prove the real runner.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook/mdbooktest"
	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// TestCheckFixtures runs the checker over every fixture book and checks that
// each expected problem is reported and no other.
func TestCheckFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bookcheck", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/bookcheck")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			want := unpack(t, ar, root)
			clean := name == "good-book" || strings.HasSuffix(name, "-ok")
			if clean != (len(want) == 0) {
				t.Fatalf("%s: good-book and *-ok fixtures want no problems; every other fixture lists the problems it wants", file)
			}
			var got []string
			for _, p := range checkBook(filepath.Join(root, "book"), fakeRunner(root)) {
				got = append(got, p.String())
			}
			for _, w := range want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("no problem contains %q", w)
				}
			}
			for _, g := range got {
				if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(g, w) }) {
					t.Errorf("unexpected problem: %s", g)
				}
			}
			if t.Failed() {
				t.Logf("all problems:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// unpack is mdbooktest.Unpack: a fixture book written out.
var unpack = mdbooktest.Unpack

// fakeRunner plays back a program's run from files under root/fake: for the
// program in directory DIR, DIR.out is its output and DIR.exit (if present)
// its exit code. If DIR.args is present, its lines are the arguments the
// program must get; if DIR.stdin is present, its bytes are the stdin the
// program must get. Either mismatch is an error. A try-it's run plays
// back DIR.try.out and DIR.try.exit instead.
func fakeRunner(root string) runner {
	return func(c command) ([]byte, int, error) {
		fake := filepath.Join(root, "fake", c.Dir)
		if c.Try != nil {
			fake += ".try" // the program as a try-it changes it
		}
		out, err := os.ReadFile(fake + ".out")
		if err != nil {
			return nil, 0, fmt.Errorf("fake runner: %v", err)
		}
		if data, err := os.ReadFile(fake + ".args"); err == nil {
			if want := splitLines(string(data)); !slices.Equal(c.Args, want) {
				return nil, 0, fmt.Errorf("fake runner: args %q, want %q", c.Args, want)
			}
		}
		if want, err := os.ReadFile(fake + ".stdin"); err == nil {
			got := c.Stdin
			if c.StdinFile != "" {
				if got, err = os.ReadFile(filepath.Join(root, c.StdinFile)); err != nil {
					return nil, 0, fmt.Errorf("fake runner: %v", err)
				}
			}
			if string(got) != string(want) {
				return nil, 0, fmt.Errorf("fake runner: stdin %q, want %q", got, want)
			}
		}
		code := 0
		if data, err := os.ReadFile(fake + ".exit"); err == nil {
			if code, err = strconv.Atoi(strings.TrimSpace(string(data))); err != nil {
				return nil, 0, fmt.Errorf("fake runner: %v", err)
			}
		}
		return out, code, nil
	}
}

// TestCheckParseCommand checks how output block commands are split, quoted
// and refused.
func TestCheckParseCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    command
		wantErr string
	}{
		{in: "go run ./ch01-models", want: command{Dir: "ch01-models"}},
		{in: "go run ./ch01-models -model threads a.txt", want: command{Dir: "ch01-models", Args: []string{"-model", "threads", "a.txt"}}},
		{in: `go run ./ch01-models 'a b' "c \"d\" \\" e\ f '' g'h'"i"`, want: command{Dir: "ch01-models", Args: []string{"a b", `c "d" \`, "e f", "", "ghi"}}},
		{in: `printf 'a\nbb\n' | go run ./ch04-reactor`, want: command{Dir: "ch04-reactor", Stdin: []byte("a\nbb\n")}},
		{in: `printf 'tab\there\\back 100%% it'\''s \101\n' | go run ./ch04-reactor -v`, want: command{Dir: "ch04-reactor", Args: []string{"-v"}, Stdin: []byte("tab\there\\back 100% it's A\n")}},
		{in: "go run ./ch01-models < ch01-models/testdata/in.txt", want: command{Dir: "ch01-models", StdinFile: "ch01-models/testdata/in.txt"}},
		{in: "go run ./ch01-models -n 2 <ch01-models/in.txt", want: command{Dir: "ch01-models", Args: []string{"-n", "2"}, StdinFile: "ch01-models/in.txt"}},
		{in: "go run ./ch01-models/ x#y", want: command{Dir: "ch01-models", Args: []string{"x#y"}}},
		{in: "go test -bench . ./ch02-futures", wantErr: "not a go run command"},
		{in: "go run -race ./ch01-models", wantErr: "go run flags are not supported"},
		{in: "go run .", wantErr: "want go run ./DIR"},
		{in: "go run ./../x", wantErr: "want go run ./DIR"},
		{in: "go run ./ch01-models > out.txt", wantErr: `unquoted '>'`},
		{in: "go run ./ch01-models && echo", wantErr: `unquoted '&'`},
		{in: "go run ./ch01-models $HOME", wantErr: `unquoted '$'`},
		{in: "go run ./ch01-models *.txt", wantErr: `unquoted '*'`},
		{in: "go run ./ch01-models # comment", wantErr: `unquoted '#'`},
		{in: `go run ./ch01-models "$HOME"`, wantErr: "substitutions are not supported"},
		{in: "go run ./ch01-models 'open", wantErr: "unterminated single quote"},
		{in: "go run ./ch01-models < a.txt b", wantErr: "only `< FILE` may follow"},
		{in: "go run ./ch01-models < /etc/passwd", wantErr: "relative to the repository root"},
		{in: "go run ./ch01-models | cat", wantErr: "only `< FILE` may follow"},
		{in: "printf 'x' | go run ./ch01-models < a.txt", wantErr: "stdin from both"},
		{in: "printf 'x' go run ./ch01-models", wantErr: "want printf 'FORMAT' |"},
		{in: "printf '%s' | go run ./ch01-models", wantErr: "conversions are not supported"},
		{in: `printf '\q' | go run ./ch01-models`, wantErr: `unsupported escape \q`},
	}
	for _, tt := range tests {
		got, err := parseCommand(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseCommand(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseCommand(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseCommand(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestCheckVaryingPattern checks that ~N stands for any number, and the
// spaces padding the word that holds it for any run of spaces, while
// everything else, every other number and unit included, stays literal.
func TestCheckVaryingPattern(t *testing.T) {
	tests := []struct {
		shown, real string
		match       bool
	}{
		{"took ~1.5ms", "took 12ms", true},
		{"took ~1.5ms", "took 0.25ms", true},
		{"took ~3ms", "took 3.75ms", true},
		{"took ~1.5ms", "took 1.5µs", false},
		{"took ~1.5ms", "took 1.5 ms", false},
		{"took ~1.5ms", "took ms", false},
		{"took ~1.5ms", "took -1ms", false},
		{"3 files, ~120 lines", "3 files, 98765 lines", true},
		{"3 files, ~120 lines", "4 files, 120 lines", false},
		{"3 files, ~120 lines", "3 files, 120 lines in total", false},
		{"ch01-models: ~4 workers", "ch07-models: 16 workers", false},
		{"rate (x) ~1.5/s [a+b]", "rate (x) 20/s [a+b]", true},
		{"rate (x) ~1.5/s [a+b]", "rate x 20/s [a+b]", false},
		{"poll 3 returned Done", "poll 4 returned Done", false},
		{"~3 sleeps, ~3 waits", "3 sleeps, 2 waits", true},
		{"~3 sleeps, 3 waits", "3 sleeps, 2 waits", false},
		// A column of times: the padding stretches and shrinks to fit.
		{"fast    ~5ms  ok", "fast 12345ms ok", true},
		{"fast    ~5ms  ok", "fast 5ms      ok", true},
		{"fast    ~5ms  ok", "fast5ms ok", false},
		{"   ~5 | a", "12345 | a", true},
		{"a |    ~5", "a | 123456", true},
		{"a |  b", "a | b", false}, // no ~N, so the spaces are literal
		{"~1.5", "", false},
		{"n=~1", "n=", false},
		{"~x", "~x", true}, // a ~ before no number is text
		{"~x", "1", false},
	}
	for _, tt := range tests {
		_, got := compareOutput([]string{tt.shown}, []string{tt.real}, false)
		if got != tt.match {
			t.Errorf("%q matches %q = %v, want %v (pattern %v)", tt.shown, tt.real, got, tt.match, varyingPattern(tt.shown))
		}
	}
}

// TestCheckUnorderedVaryingMatching checks that unordered comparison with
// ~N finds a pairing of shown and real lines when a greedy one would not:
// "x ~1" matches both real lines, "x ~1.2.3" only the first.
func TestCheckUnorderedVaryingMatching(t *testing.T) {
	want := []string{"x ~1", "x ~1.~2.3"}
	got := []string{"x 1.5.3", "x 4"}
	if diff, ok := compareOutput(want, got, true); !ok {
		t.Errorf("compareOutput(%q, %q) did not match:\n%s", want, got, diff)
	}
	if _, ok := compareOutput(want, []string{"x 4", "x 5"}, true); ok {
		t.Errorf("compareOutput matched lines it should not")
	}
	if _, ok := compareOutput(want, got, false); ok {
		t.Errorf("compareOutput matched out of order without unordered")
	}
}

// tinyModule is a module with one program, ch01-tiny, whose modes show what
// the real runner gives a program: arguments, stdin, one pipe for stdout and
// stderr, the exit code.
const tinyModule = `
-- go.mod --
module tiny

go 1.26
-- ch01-tiny/main.go --
package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	switch os.Args[1] {
	case "args":
		for _, a := range os.Args[2:] {
			fmt.Printf("[%s]\n", a)
		}
	case "stdin":
		kind := "file"
		if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
			kind = "pipe"
		}
		data, err := io.ReadAll(os.Stdin)
		fmt.Printf("%s %q %v\n", kind, data, err)
	case "interleave":
		fmt.Println("out 1")
		fmt.Fprintln(os.Stderr, "err 2")
		fmt.Println("out 3")
		fmt.Fprintln(os.Stderr, "err 4")
	case "exit":
		fmt.Println("partial output")
		fmt.Fprintln(os.Stderr, "ch01-tiny: failing")
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	}
}
-- ch01-tiny/input.txt --
line one
-- book/SUMMARY.md --
# Summary

- [Run](run.md)
-- book/run.md --
# Run

` + "```console" + `
$ go run ./ch01-tiny args 'two words' "dq \"x\"" back\ slash ''
[two words]
[dq "x"]
[back slash]
[]
` + "```" + `

` + "```console" + `
$ go run ./ch01-tiny stdin
pipe "" <nil>
` + "```" + `

` + "```console" + `
$ printf 'a\tb\n\\c\n' | go run ./ch01-tiny stdin
pipe "a\tb\n\\c\n" <nil>
` + "```" + `

` + "```console" + `
$ go run ./ch01-tiny stdin < ch01-tiny/input.txt
file "line one\n" <nil>
` + "```" + `

` + "```console" + `
$ go run ./ch01-tiny interleave
out 1
err 2
out 3
err 4
` + "```" + `

` + "```console" + `
$ go run ./ch01-tiny exit
partial output
ch01-tiny: failing
exit status 3
` + "```" + `

<!-- check: try ch01-tiny/main.go replace 'time.Sleep(time.Hour)' '_ = time.Hour; select {}' -->
` + "```console" + `
$ go run ./ch01-tiny hang
fatal error: all goroutines are asleep - deadlock!

goroutine 1 [select (no cases)]:
...
exit status 2
` + "```" + `
`

// TestCheckRealRunner builds a tiny program and checks a book of its output
// blocks with the real runner: arguments quoted as a shell quotes them,
// stdin as an empty pipe, a printf pipe or a file, stdout and stderr
// interleaved in one stream, and the exit status line. It then changes the
// book so that one block is stale, and checks that the checker says so; and
// it checks that a program that hangs is stopped at its time limit.
func TestCheckRealRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	root := t.TempDir()
	unpack(t, txtar.Parse([]byte(tinyModule)), root)
	bin := filepath.Join(root, "bin")
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./ch01-tiny")
	build.Dir = root
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe := filepath.Join(bin, "ch01-tiny")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	runFor := func(timeout time.Duration) runner {
		return func(c command) ([]byte, int, error) {
			if c.Dir != "ch01-tiny" {
				return nil, 0, fmt.Errorf("no program ./%s", c.Dir)
			}
			exe := exe
			if c.Try != nil {
				var cleanup func()
				var err error
				if exe, cleanup, err = buildTry(root, c); err != nil {
					return nil, 0, err
				}
				defer cleanup()
			}
			return runProgram(root, exe, c, timeout)
		}
	}
	run := runFor(time.Minute)

	for _, p := range checkBook(filepath.Join(root, "book"), run) {
		t.Errorf("good book: %s", p)
	}

	page := filepath.Join(root, "book", "run.md")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	stale := strings.Replace(string(data), "err 2\nout 3", "out 3\nerr 2", 1)
	if err := os.WriteFile(page, []byte(stale), 0o666); err != nil {
		t.Fatal(err)
	}
	problems := checkBook(filepath.Join(root, "book"), run)
	if len(problems) != 1 || !strings.HasPrefix(problems[0].String(), "book/run.md:27: $ go run ./ch01-tiny interleave: ") {
		t.Fatalf("stale book: got problems %q, want one at book/run.md:27", problems)
	}
	t.Logf("the stale block is reported as:\n%s", problems[0])

	// A program that hangs is stopped and reported, not waited for.
	_, _, err = runProgram(root, exe, command{Dir: "ch01-tiny", Args: []string{"hang"}}, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out after 200ms") {
		t.Fatalf("running a program that hangs: err = %v, want a time-out", err)
	}

	// So is a try-it whose changed program hangs, where the page shows
	// it ending: the problem says so.
	try, err := parseTry(`ch01-tiny/main.go replace 'time.Sleep(time.Hour)' 'time.Sleep(time.Hour); println()'`)
	if err != nil {
		t.Fatal(err)
	}
	blk := &outputBlock{file: "book/run.md", line: 1, shell: "go run ./ch01-tiny hang",
		cmd: command{Dir: "ch01-tiny", Args: []string{"hang"}, Try: try}, want: []string{"exit status 2"}}
	ps := checkOutput(blk, runFor(time.Second))
	if len(ps) != 1 || !strings.Contains(ps[0].msg, "the changed program hangs, and the page shows it ending: timed out after 1s") {
		t.Fatalf("a try-it that hangs: got problems %q, want one saying it hangs", ps)
	}
	t.Logf("the try-it that hangs is reported as:\n%s", ps[0])
}
