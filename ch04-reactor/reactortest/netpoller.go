package reactortest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// NetpollerEnv names the environment variable that, set to "1", makes the
// reactors of the book's tests sleep in Go's netpoller
// (reactor.Reactor.UseNetpoller): the reactor package's own newReactor,
// and schedtest.New's runtimes. SuiteInNetpoller sets it.
const NetpollerEnv = "ASYNCBOOK_TEST_NETPOLLER"

// InNetpoller reports whether this process's tests run their reactors in
// Go's netpoller.
func InNetpoller() bool { return os.Getenv(NetpollerEnv) == "1" }

// SuiteInNetpoller runs every test of the calling package again, in a
// child process with NetpollerEnv set, and fails t if any fails there:
// a reactor's two ways of sleeping must pass the same tests. It skips in
// that child, and under -short.
func SuiteInNetpoller(t *testing.T) {
	t.Helper()
	if InNetpoller() {
		t.Skip("this is the run in the netpoller")
	}
	if testing.Short() {
		t.Skip("-short: the second run of the suite takes as long as the first")
	}
	cmd := exec.Command(os.Args[0], "-test.run=.", "-test.count=1")
	cmd.Env = append(os.Environ(), NetpollerEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tests with UseNetpoller: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("PASS")) {
		t.Fatalf("the tests with UseNetpoller printed no PASS:\n%s", out)
	}
}
