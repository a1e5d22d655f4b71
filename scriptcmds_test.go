package asyncbook_test

// The commands scripts may use beyond testscript's own, and the rules the
// harness holds every script to before it runs (testdata/README.md states
// them for writers).
//
// Scripts run only chapter programs: the README asks a reader for Go and
// nothing else, so a script that needs sh, printf, head or cmp would fail,
// or worse skip, on a machine without them. What those tools did is done
// by two commands written here in Go:
//
//	writef [-a] FILE FORMAT [COUNT]
//	run [-stdin FILE|closed] [-pipe FILE] [-stdout FILE] [-head N]
//	    [-status N | -signal NAME] PROGRAM [ARG...]
//	cmplong FILE1 FILE2
//
// and by testscript's own stdin, cmp, stdout and stderr.

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the commands scripts may use beyond testscript's own.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"writef":  cmdWritef,
	"run":     cmdRun,
	"cmplong": cmdCmplong,
}

// deadlineKey is the key, in a script's Values, of the time by which the
// script must end; run stops a program still running then.
type deadlineKey struct{}

// cmdWritef implements
//
//	writef [-a] FILE FORMAT [COUNT]
//
// which writes FORMAT, expanded as printf expands a format with no
// arguments (\n, \t, \r, \\, \', octal \NNN, %%), COUNT times (once if
// COUNT is missing) to FILE, or appends it with -a. It makes the bytes a
// txtar file cannot hold well (a CR, a byte that is not UTF-8, a file
// with no final newline, a line of 10 MiB) without printf or sh.
func cmdWritef(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("writef does not fail; drop the !")
	}
	appendTo := len(args) > 0 && args[0] == "-a"
	if appendTo {
		args = args[1:]
	}
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: writef [-a] FILE FORMAT [COUNT]")
	}
	data, err := printfFormat(args[1])
	ts.Check(err)
	count := 1
	if len(args) == 3 {
		if count, err = strconv.Atoi(args[2]); err != nil || count < 0 {
			ts.Fatalf("writef: COUNT %q is not a whole number", args[2])
		}
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), flags, 0o666)
	ts.Check(err)
	w := bufio.NewWriter(f)
	for range count {
		w.Write(data)
	}
	ts.Check(errors.Join(w.Flush(), f.Close()))
}

// cmdCmplong implements
//
//	cmplong FILE1 FILE2
//
// which is cmp for files too long to print: FILE1 (stdout and stderr are
// the last program's) must equal FILE2, and a difference is reported by
// the sizes and the first differing offset, with a few bytes around it.
func cmdCmplong(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cmplong FILE1 FILE2")
	}
	a, b := ts.ReadFile(args[0]), ts.ReadFile(args[1])
	if a == b {
		return
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	around := func(s string) string { return fmt.Sprintf("%q", s[max(0, i-20):min(len(s), i+20)]) }
	ts.Fatalf("%s (%d bytes) and %s (%d bytes) differ at byte %d: %s against %s", args[0], len(a), args[1], len(b), i, around(a), around(b))
}

// A runOptions is what run was asked to do, from its flags.
type runOptions struct {
	stdin  string // a file to give as stdin, "closed", or "" for a pipe
	pipe   string // with stdin "", a file whose bytes the pipe carries
	stdout string // a file to write stdout to, or "" to catch it
	head   int    // with stdout "", read this many lines, then close the pipe
	status int    // the exit status wanted, or -1
	signal string // the signal that must end the program, or ""
}

// A runResult is how a program run by run ended.
type runResult struct {
	stdout, stderr []byte
	exitCode       int    // -1 if a signal ended it
	signal         string // the signal that ended it, e.g. "SIGPIPE"
	timedOut       bool   // it was still running at the script's deadline
}

// How long run waits, after the program exits, for its output pipes to
// close (something it started may hold them), and how long after SIGQUIT
// at the deadline before SIGKILL.
const (
	runWaitDelay = 5 * time.Second
	runKillDelay = 2 * time.Second
)

// cmdRun implements
//
//	run [-stdin FILE|closed] [-pipe FILE] [-stdout FILE] [-head N]
//	    [-status N | -signal NAME] PROGRAM [ARG...]
//
// which runs a chapter program as exec does, with what exec cannot give
// it: stdin a file (-stdin FILE), a pipe carrying a file (-pipe FILE, the
// default being an empty pipe) or closed (-stdin closed); stdout written
// to a file (-stdout FILE, /dev/full included) or read for N lines and
// then closed, as head -n N does (-head N). Without -status or -signal,
// run, like exec, wants exit status 0 and ! run a failure; -status N
// wants exactly N, -signal NAME (SIGPIPE, SIGQUIT, ...) death by that
// signal. The program runs in a process group of its own, and at the
// script's deadline the whole group is stopped, SIGQUIT first, then
// SIGKILL.
func cmdRun(ts *testscript.TestScript, neg bool, args []string) {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.stdin, "stdin", "", "")
	fs.StringVar(&o.pipe, "pipe", "", "")
	fs.StringVar(&o.stdout, "stdout", "", "")
	fs.IntVar(&o.head, "head", 0, "")
	fs.IntVar(&o.status, "status", -1, "")
	fs.StringVar(&o.signal, "signal", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		ts.Fatalf("usage: run [-stdin FILE|closed] [-pipe FILE] [-stdout FILE] [-head N] [-status N | -signal NAME] PROGRAM [ARG...]: %v", err)
	}
	switch {
	case neg && (o.status >= 0 || o.signal != ""):
		ts.Fatalf("! run with -status or -signal: the flag says how it ends; drop the !")
	case o.status >= 0 && o.signal != "":
		ts.Fatalf("run: -status and -signal together")
	case o.stdin != "" && o.pipe != "":
		ts.Fatalf("run: -stdin and -pipe together")
	case o.head > 0 && o.stdout != "":
		ts.Fatalf("run: -head and -stdout together")
	}
	exe, err := programPath(fs.Arg(0))
	if err != nil {
		ts.Fatalf("run: %v", err)
	}
	deadline, _ := ts.Value(deadlineKey{}).(time.Time)
	for _, p := range []*string{&o.stdin, &o.pipe, &o.stdout} {
		if *p != "" && *p != "closed" {
			*p = ts.MkAbs(*p)
		}
	}
	env := append(os.Environ(), "PATH="+ts.Getenv("PATH"), "TMPDIR="+ts.Getenv("TMPDIR"))
	env = append(env, raceEnv()...)
	res, err := runGroup(ts.MkAbs("."), env, exe, fs.Args()[1:], o, deadline)
	if res != nil {
		ts.Stdout().Write(res.stdout)
		ts.Stderr().Write(res.stderr)
	}
	ts.Check(err)
	how := fmt.Sprintf("exit status %d", res.exitCode)
	if res.signal != "" {
		how = "killed by " + res.signal
	}
	switch {
	case res.timedOut:
		hangSeen.Store(true)
		ts.Fatalf("%s still running at the script's deadline: stopped (%s)", fs.Arg(0), how)
	case o.signal != "":
		if res.signal != o.signal {
			ts.Fatalf("%s: %s, want killed by %s", fs.Arg(0), how, o.signal)
		}
	case o.status >= 0:
		if res.exitCode != o.status {
			ts.Fatalf("%s: %s, want exit status %d", fs.Arg(0), how, o.status)
		}
	case neg && res.exitCode == 0:
		ts.Fatalf("%s succeeded unexpectedly", fs.Arg(0))
	case !neg && res.exitCode != 0:
		ts.Fatalf("%s: %s", fs.Arg(0), how)
	}
}

// runGroup runs exe with args in dir, with the environment env, as run
// describes; the file names in o are absolute. A program still running at
// deadline is stopped with its whole process group.
func runGroup(dir string, env []string, exe string, args []string, o runOptions, deadline time.Time) (*runResult, error) {
	var (
		files  [3]*os.File // the child's stdin, stdout, stderr
		ours   []*os.File  // ends to close in this process once it started
		stdinW *os.File
		input  []byte
	)
	defer func() {
		for _, f := range ours {
			f.Close()
		}
	}()
	switch o.stdin {
	case "closed": // files[0] stays nil: closed in the child
	case "":
		if o.pipe != "" {
			data, err := os.ReadFile(o.pipe)
			if err != nil {
				return nil, err
			}
			input = data
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		files[0], stdinW = r, w
		ours = append(ours, r)
	default:
		f, err := os.Open(o.stdin)
		if err != nil {
			return nil, err
		}
		files[0] = f
		ours = append(ours, f)
	}
	var outR, errR *os.File
	if o.stdout != "" {
		f, err := os.OpenFile(o.stdout, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			return nil, err
		}
		files[1] = f
		ours = append(ours, f)
	} else {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		outR, files[1] = r, w
		ours = append(ours, w)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, files[2] = r, w
	ours = append(ours, w)

	p, err := os.StartProcess(exe, append([]string{exe}, args...), &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: files[:],
		Sys:   newGroupAttr(),
	})
	if err != nil {
		if stdinW != nil {
			stdinW.Close()
		}
		if outR != nil {
			outR.Close()
		}
		errR.Close()
		return nil, err
	}
	for _, f := range ours {
		f.Close()
	}
	ours = nil
	liveGroups.Store(p.Pid, p)
	defer liveGroups.Delete(p.Pid)

	if stdinW != nil {
		go func() {
			stdinW.Write(input) // an error means the program stopped reading
			stdinW.Close()
		}()
	}
	outc := make(chan []byte, 1)
	if outR != nil {
		go func() { outc <- readOutput(outR, o.head) }()
	} else {
		outc <- nil
	}
	errc := make(chan []byte, 1)
	go func() { errc <- readOutput(errR, 0) }()

	type waited struct {
		state *os.ProcessState
		err   error
	}
	waitc := make(chan waited, 1)
	go func() {
		st, err := p.Wait()
		waitc <- waited{st, err}
	}()
	res := &runResult{}
	var wr waited
	if deadline.IsZero() {
		deadline = time.Now().Add(scriptTimeout)
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case wr = <-waitc:
	case <-timer.C:
		res.timedOut = true
		signalGroup(p, quitSignal)
		select {
		case wr = <-waitc:
		case <-time.After(runKillDelay):
			signalGroup(p, killSignal)
			wr = <-waitc
		}
	}
	// Whatever the program started and left behind goes with it.
	signalGroup(p, killSignal)
	if wr.err != nil {
		return nil, wr.err
	}
	res.exitCode, res.signal = exitOf(wr.state)

	// Its output pipes close when the last process holding them exits; if
	// something still holds them, stop reading after runWaitDelay, as
	// exec.Cmd's WaitDelay does.
	delay := time.NewTimer(runWaitDelay)
	defer delay.Stop()
	for _, c := range []struct {
		ch  chan []byte
		f   *os.File
		dst *[]byte
	}{{outc, outR, &res.stdout}, {errc, errR, &res.stderr}} {
		select {
		case *c.dst = <-c.ch:
		case <-delay.C:
			if outR != nil {
				outR.Close()
			}
			errR.Close()
			return res, fmt.Errorf("%s exited, but its output was still open %v later", filepath.Base(exe), runWaitDelay)
		}
	}
	return res, nil
}

// liveGroups holds the process groups run has started and not yet
// waited for, by the pid of their leader.
var liveGroups sync.Map

// stopAllGroups kills every process group run started that is still
// running: the run is ending.
func stopAllGroups() {
	liveGroups.Range(func(_, p any) bool {
		signalGroup(p.(*os.Process), killSignal)
		return true
	})
}

// readOutput reads f to its end, or, if lines > 0, that many lines, and
// then closes f, as head -n does: a writer still writing gets EPIPE.
func readOutput(f *os.File, lines int) []byte {
	defer f.Close()
	if lines <= 0 {
		data, _ := io.ReadAll(f)
		return data
	}
	var out bytes.Buffer
	br := bufio.NewReader(f)
	for range lines {
		line, err := br.ReadBytes('\n')
		out.Write(line)
		if err != nil {
			break
		}
	}
	return out.Bytes()
}

// scriptLine matches a command line of a script: its conditions, its
// ! or ? prefix, its command and the rest.
var scriptLine = regexp.MustCompile(`^((?:\[[^\]]*\]\s*)*)([!?]\s*)?(\S+)\s*(.*?)\s*$`)

// checkScriptCommands enforces the harness's rules on the script text:
// exec and run start only chapter programs, never in the background, and
// every one of them is followed, before the next one, by a check of its
// output: of stdout if it must succeed (of the -stdout file for run
// -stdout FILE), of stderr if it must fail or its stdout is /dev/full.
// It returns one message per broken rule, as file:line: message.
func checkScriptCommands(rel string, script []byte) []string {
	var problems []string
	type pending struct {
		line       int
		what       string
		wantStdout string // "stdout", or the file run -stdout wrote
		wantStderr bool
		sawStdout  bool
		sawStderr  bool
	}
	var open *pending
	finish := func() {
		if open == nil {
			return
		}
		if open.wantStdout != "" && !open.sawStdout {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: check what it printed (stdout, ! stdout ., or cmp %s FILE) before the next command runs a program", rel, open.line, open.what, open.wantStdout))
		}
		if open.wantStderr && !open.sawStderr {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: check its error message (stderr '...' or ! stderr .) before the next command runs a program", rel, open.line, open.what))
		}
		open = nil
	}
	// The script is the archive's comment: everything before the first file.
	text := string(script)
	if i := strings.Index(text, "\n-- "); i >= 0 {
		text = text[:i+1]
	}
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		m := scriptLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		prefix, cmd, rest := strings.TrimSpace(m[2]), m[3], strings.Fields(m[4])
		line := i + 1
		switch cmd {
		case "exec", "run":
			finish()
			if prefix == "?" {
				problems = append(problems, fmt.Sprintf("%s:%d: ? %s: say whether the program must succeed (%s) or fail (! %s)", rel, line, cmd, cmd, cmd))
				continue
			}
			if len(rest) > 0 && rest[len(rest)-1] == "&" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s ... &: scripts run programs in the foreground, so each run's output is checked", rel, line, cmd))
				continue
			}
			prog, flags := "", map[string]string{}
			for j := 0; j < len(rest); j++ {
				a := rest[j]
				if cmd == "run" && strings.HasPrefix(a, "-") && j+1 < len(rest) {
					flags[a] = rest[j+1] // every flag of run takes a value
					j++
					continue
				}
				prog = a
				break
			}
			stdoutFile := flags["-stdout"]
			if !isChapterProgram(prog) {
				problems = append(problems, fmt.Sprintf("%s:%d: %s %s: scripts run only chapter programs (chNN-name): the README asks readers for Go alone, so sh, printf and the like may be missing; use writef, run and stdin instead", rel, line, cmd, prog))
				continue
			}
			p := &pending{line: line, what: strings.TrimSpace(prefix + " " + cmd + " " + prog)}
			fails := prefix == "!" || (flags["-status"] != "" && flags["-status"] != "0")
			switch {
			case stdoutFile == "/dev/full" || fails:
				p.wantStderr = true
			case stdoutFile != "":
				p.wantStdout = stdoutFile
			default:
				p.wantStdout = "stdout"
			}
			open = p
		case "stdout":
			if open != nil {
				open.sawStdout = open.sawStdout || open.wantStdout == "stdout"
			}
		case "stderr":
			if open != nil {
				open.sawStderr = true
			}
		case "cmp", "cmpenv", "cmplong":
			if open != nil {
				for _, a := range rest {
					if a == "stderr" {
						open.sawStderr = true
					}
					if a == open.wantStdout {
						open.sawStdout = true
					}
				}
			}
		}
	}
	finish()
	return problems
}

// isChapterProgram reports whether name is a chapter program's name,
// chNN-name, as TestMain builds them.
func isChapterProgram(name string) bool {
	return regexp.MustCompile(`^ch[0-9][0-9]-[a-z0-9-]+$`).MatchString(name)
}
