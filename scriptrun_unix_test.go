//go:build unix

package asyncbook_test

import (
	"os"
	"syscall"
)

// The signals run sends a program still running at a script's deadline:
// first one that makes a Go program print its goroutines, then one that
// cannot be caught.
var (
	quitSignal = syscall.SIGQUIT
	killSignal = syscall.SIGKILL
)

// newGroupAttr puts the program in a process group of its own, so that
// signalGroup reaches whatever it starts too.
func newGroupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to the process group that p leads.
func signalGroup(p *os.Process, sig syscall.Signal) { syscall.Kill(-p.Pid, sig) }

// exitOf returns how a process ended: its exit code, or -1 and the name of
// the signal that killed it.
func exitOf(st *os.ProcessState) (code int, signal string) {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, signalName(ws.Signal())
	}
	return st.ExitCode(), ""
}

// signalName returns the conventional name of sig, such as SIGPIPE.
func signalName(sig syscall.Signal) string {
	for name, s := range map[string]syscall.Signal{
		"SIGPIPE": syscall.SIGPIPE, "SIGQUIT": syscall.SIGQUIT, "SIGKILL": syscall.SIGKILL,
		"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM, "SIGHUP": syscall.SIGHUP,
		"SIGABRT": syscall.SIGABRT, "SIGSEGV": syscall.SIGSEGV,
	} {
		if s == sig {
			return name
		}
	}
	return sig.String()
}
