//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package tcp

import (
	"errors"
	"net/netip"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// Without epoll or kqueue there is no reactor to register with: every
// call that would open a socket fails.
var errUnsupported = reactor.ErrUnsupported

var (
	errAgain = errors.New("unreachable: EAGAIN")
)

func listenSocket(netip.AddrPort) (int, error)     { return -1, errUnsupported }
func dialSocket(netip.AddrPort) (int, bool, error) { return -1, false, errUnsupported }
func connectResult(int) error                      { return errUnsupported }
func setNoDelay(int) error                         { return errUnsupported }
func setKeepAlive(int) error                       { return errUnsupported }
func acceptFD(int) (int, netip.AddrPort, error)    { return -1, netip.AddrPort{}, errUnsupported }
func addrPort(any) netip.AddrPort                  { return netip.AddrPort{} }
func localAddr(int) netip.AddrPort                 { return netip.AddrPort{} }
func readFD(int, []byte) (int, error)              { return 0, errUnsupported }
func writeFD(int, []byte) (int, error)             { return 0, errUnsupported }
func tooManyFiles(err error) bool                  { return false }
func acceptAgain(err error) bool                   { return false }
func shutdownWrite(int) error                      { return errUnsupported }
func closeFD(int) error                            { return errUnsupported }
