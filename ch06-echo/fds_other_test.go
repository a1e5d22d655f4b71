//go:build !unix

package main

// openFDs cannot count descriptors here.
func openFDs() (int, bool) { return 0, false }

// fdLimit does not know the limit here.
func fdLimit() (uint64, bool) { return 0, false }
