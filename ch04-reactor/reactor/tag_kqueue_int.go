//go:build netbsd

package reactor

import "golang.org/x/sys/unix"

// setTag leaves NetBSD's events untagged: its udata is an integer of a
// width that differs between architectures. Without a tag, an event
// fetched for a closed descriptor can reach a new one of the same
// number (see event.owner).
func setTag(*unix.Kevent_t, uint32) {}

// tag reports every event as untagged.
func tag(*unix.Kevent_t) uint32 { return 0 }
