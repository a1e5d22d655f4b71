//go:build darwin || freebsd || openbsd

package reactor

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// setTag stores gen in e's udata, a pointer the kernel hands back with
// every event, as netpollopen in runtime/netpoll_kqueue.go stores a
// pollDesc pointer tagged with its fdseq. The pointer is never followed:
// it is a number below 1<<32, where no Go heap lives on a 64-bit system.
// On a 32-bit one it could be mistaken for a heap pointer, so there, as
// in Go's runtime, events go untagged.
func setTag(e *unix.Kevent_t, gen uint32) {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		e.Udata = (*byte)(unsafe.Add(nil, uintptr(gen)))
	}
}

// tag is the gen that setTag stored in e, or 0.
func tag(e *unix.Kevent_t) uint32 {
	if unsafe.Sizeof(uintptr(0)) == 8 {
		return uint32(uintptr(unsafe.Pointer(e.Udata)))
	}
	return 0
}
