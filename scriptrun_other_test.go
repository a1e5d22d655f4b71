//go:build !unix

package asyncbook_test

import (
	"os"
	"syscall"
)

// Without Unix process groups, run can stop only the program itself.

var (
	quitSignal = syscall.Signal(0)
	killSignal = syscall.Signal(0)
)

func newGroupAttr() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, sig syscall.Signal) { p.Kill() }

func exitOf(st *os.ProcessState) (code int, signal string) { return st.ExitCode(), "" }
