package tcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
)

// errNotIP is the cause ParseAddr gives for a host that is not an IP
// literal.
var errNotIP = errors.New("host must be an IP address or localhost (names are not resolved)")

// ParseAddr parses a listening or dialling address: an IP literal and a
// port, as in "127.0.0.1:8080", "[::1]:8080" or ":8080" (every IPv4
// address). "localhost" is the IPv4 loopback address. A name that would
// have to be resolved is an error: resolving is a blocking call.
func ParseAddr(addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// The error repeats addr: quote it if it holds a byte that
		// would act on a terminal.
		if ae, ok := err.(*net.AddrError); ok {
			ae.Addr = cli.Printable(ae.Addr)
		}
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	var ip netip.Addr
	switch host {
	case "":
		ip = netip.IPv4Unspecified()
	case "localhost":
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		ip, err = netip.ParseAddr(host)
		if err != nil {
			return netip.AddrPort{}, errNotIP
		}
		if ip.Zone() != "" {
			return netip.AddrPort{}, errors.New("IPv6 zones are not supported")
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}

// opError wraps err as package net would, naming the operation and the
// two ends (either may be zero).
func opError(op string, local, remote netip.AddrPort, err error) error {
	e := &net.OpError{Op: op, Net: "tcp", Err: err}
	if local.IsValid() {
		e.Source = net.TCPAddrFromAddrPort(local)
	}
	if remote.IsValid() {
		e.Addr = net.TCPAddrFromAddrPort(remote)
	}
	return e
}
