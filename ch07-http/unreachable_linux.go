package main

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// listenFull returns the address of a socket that listens and takes no
// connection: its accept queue (a backlog of 0) holds one connection,
// made here and never accepted, so Linux drops every later SYN, the way
// a firewall drops them, and a connection attempt waits until it gives
// up. close closes the socket and that connection.
func listenFull() (addr string, close func(), err error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err = unix.Bind(fd, sa); err == nil {
		err = unix.Listen(fd, 0)
	}
	var got unix.Sockaddr
	if err == nil {
		got, err = unix.Getsockname(fd)
	}
	if err != nil {
		unix.Close(fd)
		return "", nil, err
	}
	addr = fmt.Sprintf("127.0.0.1:%d", got.(*unix.SockaddrInet4).Port)
	filler, err := net.Dial("tcp", addr)
	if err != nil {
		unix.Close(fd)
		return "", nil, err
	}
	return addr, func() { filler.Close(); unix.Close(fd) }, nil
}
