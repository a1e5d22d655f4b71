//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package reactor

import (
	"fmt"
	"runtime"
)

// newPoller fails: without epoll or kqueue there is no readiness to wait
// for. (Windows has I/O completion ports, which report completed
// operations instead; a reactor is the wrong shape for them.)
func newPoller() (poller, error) {
	return nil, fmt.Errorf("%w; not available on %s", ErrUnsupported, runtime.GOOS)
}

func isRegular(int) (bool, error) { return false, nil }
