//go:build unix

package asyncbook_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv, when set in the environment, makes the test binary a helper
// process (testHelper) instead of a test run.
const helperEnv = "ASYNCBOOK_TEST_HELPER"

// testHelper is what the test binary does as a helper process, given the
// value of helperEnv, and returns its exit code:
//
//   - "hang" starts a "sleep" helper that shares its stdout, prints that
//     helper's pid, and then waits forever, ignoring SIGQUIT: the shape of
//     `sh -c 'sleep 300 | cat'`, which left a process holding the output
//     pipe and hung the run when only the first process was killed;
//   - "sleep" waits forever, ignoring SIGQUIT.
func testHelper(mode string) int {
	signal.Ignore(syscall.SIGQUIT)
	switch mode {
	case "hang":
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), helperEnv+"=sleep")
		cmd.Stdout = os.Stdout // the grandchild holds the pipe too
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(cmd.Process.Pid)
		for {
			time.Sleep(time.Hour)
		}
	case "sleep":
		for {
			time.Sleep(time.Hour)
		}
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
	return 1
}

// TestRunStopsTheWholeGroup runs, with run's runner, a program that starts
// another that shares its stdout, and both of which ignore SIGQUIT and
// never end. At the deadline, one second in, the runner must stop both
// (SIGQUIT, then SIGKILL to the process group), see the output pipe close,
// and return in a few seconds, not hang; and the grandchild must be gone.
func TestRunStopsTheWholeGroup(t *testing.T) {
	env := append(os.Environ(), helperEnv+"=hang")
	start := time.Now()
	type result struct {
		res *runResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := runGroup(t.TempDir(), env, os.Args[0], nil, runOptions{status: -1}, start.Add(time.Second))
		done <- result{res, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Second + runKillDelay + runWaitDelay + 20*time.Second):
		t.Fatal("runGroup did not return: a program that hangs hung the script")
	}
	if r.err != nil {
		t.Fatalf("runGroup: %v", r.err)
	}
	elapsed := time.Since(start)
	if !r.res.timedOut || r.res.signal != "SIGKILL" {
		t.Errorf("result %+v; want timed out and killed by SIGKILL (it ignores SIGQUIT)", r.res)
	}
	t.Logf("stopped and returned after %v", elapsed.Round(time.Millisecond))

	pid, err := strconv.Atoi(strings.TrimSpace(string(r.res.stdout)))
	if err != nil {
		t.Fatalf("the helper printed %q, not its child's pid", r.res.stdout)
	}
	// The grandchild was killed with the group; once its new parent reaps
	// it, no process has its pid. Wait for that, with a deadline.
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := syscall.Kill(pid, 0)
		if errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the helper's child %d still exists 10s after the deadline (kill: %v): it was left behind", pid, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
