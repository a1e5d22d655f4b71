//go:build !unix

package main

import "errors"

// On systems without Unix descriptors the reactor does not exist
// (reactor.New returns reactor.ErrUnsupported before any of these is
// reached); they are here so that the program compiles and says so.

var errNoUnix = errors.New("ch04-reactor needs a Unix system")

var errWouldBlock = errors.New("would block")

func readFD(fd int, p []byte) (int, error)        { return 0, errNoUnix }
func nonblock(fd int) (restore func(), err error) { return nil, errNoUnix }
func catchSIGPIPE()                               {}
func isBrokenPipe(err error) bool                 { return false }
func newPipe() (r, w int, err error)              { return -1, -1, errNoUnix }
func writeFD(fd int, p []byte) error              { return errNoUnix }
func closeFD(fd int) error                        { return errNoUnix }
func stdinProblem(fd int) error                   { return nil }
func stdinError(fd int, err error) error          { return err }
