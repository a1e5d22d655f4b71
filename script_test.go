// Package asyncbook_test is the workbook's root-level test: it builds every
// chapter program, runs the testscript files in testdata/ against them, and
// checks the book in book/ (its listings, its summary and every output it
// shows).
//
// # How the pieces fit
//
// TestMain builds each chapter program (every chNN-*/ directory holding a
// main.go) exactly once per test run, into a temporary bin directory, with
// the go command that go test puts first on PATH. When this test binary is
// built with -race, so are the programs, so `go test -race ./...` race-checks
// what the scripts and the book run, not only the package tests. A program
// that fails to build does not stop the run: TestMain prints the compiler's
// output, TestPrograms fails for that chapter, and every script or output
// block that needs the program fails saying why.
//
// TestScripts runs testscript over testdata/*.txtar with the bin directory
// first on PATH and $REPO set to the repository root. Scripts run only
// chapter programs, with exec or with run (scriptcmds_test.go), and check
// the output of every one. Each script runs under its own deadline, so a
// program that hangs fails its script in seconds instead of hanging the
// run: testscript stops a program exec started, and run stops the whole
// process group of the program it started.
//
// Everything the run writes (binaries, scripts' work directories) is under
// one temporary directory, removed when the run ends, and also when go
// test's -timeout is about to end it, or on SIGINT or SIGTERM.
//
// TestBook (book_test.go) runs the book checker over book/; the checker's own
// tests, over small broken books, are in bookcheck_test.go.
package asyncbook_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// testTimeout returns go test's -timeout for this run, or 0 if there is none.
func testTimeout() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	d, _ := f.Value.(flag.Getter).Get().(time.Duration)
	return d
}

// cleanUpOnTheWayOut removes programs.tmp, and stops every process group
// run started, when the run ends, at programs.deadline (shortly before go
// test's -timeout panics), or on SIGINT or SIGTERM. It returns the
// function that does so for the normal end. A script's work directory is
// kept when go test is given -testwork.
func cleanUpOnTheWayOut() (stop func()) {
	var once sync.Once
	clean := func(why string) {
		once.Do(func() {
			stopAllGroups()
			if f := flag.Lookup("testwork"); f != nil && f.Value.String() == "true" {
				fmt.Fprintf(os.Stderr, "asyncbook test: -testwork: scripts' work directories kept in %s\n", programs.workDir)
				os.RemoveAll(programs.binDir)
				return
			}
			if why != "" {
				fmt.Fprintf(os.Stderr, "asyncbook test: %s; removing %s\n", why, programs.tmp)
			}
			os.RemoveAll(programs.tmp)
		})
	}
	var timer *time.Timer
	if !programs.deadline.IsZero() {
		timer = time.AfterFunc(time.Until(programs.deadline.Add(deadlineMargin/2)), func() {
			clean("go test -timeout is about to end the run")
		})
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			clean("stopped by " + sig.String())
			signal.Reset(sig)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				p.Signal(sig)
			}
		case <-done:
		}
	}()
	return func() {
		if timer != nil {
			timer.Stop()
		}
		signal.Stop(sigs)
		close(done)
		clean("")
	}
}

// programs describes the chapter programs TestMain built. It is written once,
// by TestMain before any test runs, and only read afterwards.
var programs struct {
	root     string            // absolute path of the repository root
	tmp      string            // holds binDir and workDir; removed at the end
	binDir   string            // where the binaries are, one per chapter, named for its directory
	workDir  string            // where the scripts' work directories are
	deadline time.Time         // when to stop, short of go test's -timeout; zero if none
	dirs     []string          // every chapter directory with a main.go, e.g. "ch01-models"
	failed   map[string]string // chapter directory -> output of its failed go build
}

// scriptTimeout bounds one testscript file, from its start to its end: a
// chapter program that hangs makes its script fail after this long (see
// timeBudget for the exceptions). The slowest script, ch01-long-line,
// takes about 1s on an idle 2-core machine, 6s with -race.
const scriptTimeout = 20 * time.Second

// afterHang is how long a script or output block has that starts after
// another has hung: the run has failed already, and a hang in a chapter
// program usually hangs many scripts, which should not each take the
// full time before go test can say so.
const afterHang = 5 * time.Second

// hangSeen is set once a script or an output block has been stopped at
// its deadline.
var hangSeen atomic.Bool

// timeBudget returns how long a script or an output block that starts now
// may run: normal, three times that when the programs are built with -race
// (they run several times slower), at most afterHang once something has
// hung, and in any case not past programs.deadline.
func timeBudget(normal time.Duration) time.Duration {
	d := normal
	if raceEnabled {
		d *= 3
	}
	if hangSeen.Load() {
		d = min(d, afterHang)
	}
	if !programs.deadline.IsZero() {
		d = min(d, max(time.Until(programs.deadline), time.Second))
	}
	return d
}

// raceEnv is the environment a -race chapter program gets: the race
// runtime sleeps a second at every exit (GORACE atexit_sleep_ms, default
// 1000) so that other goroutines can still report a race, which made
// every script several seconds long; 100ms is ample for these programs,
// whose goroutines have finished when main returns. A GORACE the user
// set is left alone.
func raceEnv() []string {
	if !raceEnabled || os.Getenv("GORACE") != "" {
		return nil
	}
	return []string{"GORACE=atexit_sleep_ms=100"}
}

// deadlineMargin is how long before go test's -timeout the scripts and
// output blocks are stopped, and the temporary directory removed, so that
// a run that is out of time still cleans up and names what hung.
const deadlineMargin = 15 * time.Second

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(testHelper(h)) // this binary is a helper process, not a test run
	}
	os.Exit(testMain(m))
}

// testMain builds the chapter programs, runs the tests and removes the
// binaries; it returns the process exit code.
func testMain(m *testing.M) int {
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "asyncbook test:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "asyncbook-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "asyncbook test:", err)
		return 1
	}
	programs.root = root
	programs.tmp = tmp
	programs.binDir = filepath.Join(tmp, "bin")
	programs.workDir = filepath.Join(tmp, "scripts")
	if err := os.Mkdir(programs.workDir, 0o777); err != nil {
		fmt.Fprintln(os.Stderr, "asyncbook test:", err)
		os.RemoveAll(tmp)
		return 1
	}
	if timeout := testTimeout(); timeout > 0 {
		programs.deadline = time.Now().Add(timeout - deadlineMargin)
	}
	stop := cleanUpOnTheWayOut()
	defer stop()

	if err := buildPrograms(); err != nil {
		fmt.Fprintln(os.Stderr, "asyncbook test:", err)
		return 1
	}
	return m.Run()
}

// buildPrograms finds the chapter programs under programs.root and builds
// them into programs.binDir. It first builds all of them with one go build,
// which shares the work; if that fails, it builds each on its own, so that
// one broken chapter does not hide the others and its error names it.
// Compiler output for a failed chapter is printed to stderr and kept in
// programs.failed. The error result is for failures that are not a chapter's
// fault, such as a missing go command.
func buildPrograms() error {
	mains, err := filepath.Glob(filepath.Join(programs.root, "ch[0-9][0-9]-*", "main.go"))
	if err != nil {
		return err
	}
	programs.failed = make(map[string]string)
	for _, m := range mains {
		programs.dirs = append(programs.dirs, filepath.Base(filepath.Dir(m)))
	}
	if len(programs.dirs) == 0 {
		return nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("cannot build the chapter programs: %v", err)
	}
	if _, err := goBuild(programs.dirs...); err == nil {
		return nil
	}
	for _, dir := range programs.dirs {
		if out, err := goBuild(dir); err != nil {
			programs.failed[dir] = out
			fmt.Fprintf(os.Stderr, "asyncbook test: go build ./%s failed (%v):\n%s\n", dir, err, out)
		}
	}
	return nil
}

// goBuild runs go build for the chapter directories dirs, writing the
// binaries into programs.binDir, and returns the go command's output.
func goBuild(dirs ...string) (string, error) {
	args := []string{"build"}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "-o", programs.binDir+string(filepath.Separator))
	for _, d := range dirs {
		args = append(args, "./"+d)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = programs.root
	out, err := cmd.CombinedOutput()
	return string(bytes.TrimSpace(out)), err
}

// programPath returns where TestMain put the binary for the chapter directory
// dir, or an error saying why there is none.
func programPath(dir string) (string, error) {
	if strings.ContainsAny(dir, `/\`) {
		return "", fmt.Errorf("./%s is not a chapter program: only chNN-*/ directories with a main.go are built", dir)
	}
	if out, ok := programs.failed[dir]; ok {
		return "", fmt.Errorf("./%s did not build:\n%s", dir, out)
	}
	exe := filepath.Join(programs.binDir, dir)
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if _, err := os.Stat(exe); err != nil {
		return "", fmt.Errorf("no program built for ./%s: only chNN-*/ directories with a main.go are built", dir)
	}
	return exe, nil
}

// TestPrograms fails once for each chapter program that did not build, with
// the compiler's output, so a broken chapter is reported by name.
func TestPrograms(t *testing.T) {
	hashSources(t)
	if len(programs.dirs) == 0 {
		t.Skip("no chapter programs (chNN-*/main.go) yet")
	}
	for _, dir := range programs.dirs {
		t.Run(dir, func(t *testing.T) {
			if out, ok := programs.failed[dir]; ok {
				t.Fatalf("go build ./%s failed:\n%s", dir, out)
			}
		})
	}
}

// scriptName is the form of a script's file name: testdata/chNN-behaviour.txtar.
var scriptName = regexp.MustCompile(`^ch[0-9][0-9]-[a-z0-9]+(-[a-z0-9]+)*\.txtar$`)

// TestScripts runs every testdata/*.txtar with testscript. Scripts run the
// chapter programs by name (`exec ch01-models ...`); $REPO is the repository
// root. Each script must be named chNN-behaviour.txtar and start with a
// `#` comment saying what it checks.
func TestScripts(t *testing.T) {
	hashSources(t)
	files, err := filepath.Glob(filepath.Join(programs.root, "testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no scripts in testdata/*.txtar yet")
	}
	// testscript names a script's work directory after the script, under
	// WorkdirRoot; a root of its own for each run keeps -count=N runs in
	// one process from meeting the files of the run before.
	workRoot, err := os.MkdirTemp(programs.workDir, "run")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !checkScriptConventions(t, file) {
				return
			}
			budget := timeBudget(scriptTimeout)
			deadline := time.Now().Add(budget)
			defer func() {
				// testscript stops a script a little before its
				// deadline (two grace periods of budget/20).
				if t.Failed() && time.Until(deadline) < budget/5 {
					hangSeen.Store(true)
				}
			}()
			testscript.RunT(scriptT{t}, testscript.Params{
				Files: []string{file},
				Setup: func(env *testscript.Env) error {
					env.Values[deadlineKey{}] = deadline
					return setupScript(env)
				},
				Cmds:                scriptCmds,
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
				Deadline:            deadline,
				WorkdirRoot:         workRoot,
			})
		})
	}
}

// checkScriptConventions reports a script whose name or first line breaks the
// conventions in testdata/README.md, and returns false for one that breaks
// the rules of checkScriptCommands, which is not run.
func checkScriptConventions(t *testing.T, file string) bool {
	rel := "testdata/" + filepath.Base(file)
	if !scriptName.MatchString(filepath.Base(file)) {
		t.Errorf("%s: a script is named chNN-behaviour.txtar (lower case, words joined by -)", rel)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("#")) {
		t.Errorf("%s:1: a script starts with a # comment saying what it checks", rel)
	}
	problems := checkScriptCommands(rel, data)
	for _, p := range problems {
		t.Error(p)
	}
	return len(problems) == 0
}

// setupScript puts the chapter programs first on the script's PATH and sets
// $REPO to the repository root.
func setupScript(env *testscript.Env) error {
	env.Setenv("PATH", programs.binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
	env.Setenv("REPO", programs.root)
	for _, kv := range raceEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	return nil
}

// scriptT adapts a *testing.T to testscript.T so that testscript.RunT runs
// one script inside the caller's own subtest instead of opening another one.
// That is what gives each script its own deadline: RunT starts its clock when
// it is called, and the caller calls it only once its parallel subtest is
// running.
type scriptT struct {
	*testing.T
}

// Run runs f as part of the current test.
func (t scriptT) Run(_ string, f func(testscript.T)) { f(t) }

// Parallel does nothing: the caller's subtest is already parallel.
func (t scriptT) Parallel() {}

// Verbose reports whether go test was given -v.
func (t scriptT) Verbose() bool { return testing.Verbose() }
