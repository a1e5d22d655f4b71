package executor

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// TestNoTimerLeaks runs tasks that sleep, select and join, in a synctest
// bubble so that the hour-long sleep costs no real time. When Run returns,
// every timer a Sleep started must have fired or been stopped: Select
// cancels its losers, and Cancel must stop their timers. The check asks
// each timer itself: Stop reports true only for a timer that was still
// running, which is a leak (it would fire, and start a goroutine, an hour
// later).
func TestNoTimerLeaks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := New()
		ms := time.Millisecond
		var sleeps []*sleep
		s := func(d time.Duration) future.Future[struct{}] {
			f := Sleep(d)
			sleeps = append(sleeps, f.(*sleep))
			return f
		}
		sel := Spawn(ex, future.Select(s(30*ms), s(10*ms), s(time.Hour)))
		join := Spawn(ex, future.Join(s(5*ms), s(20*ms)))
		start := time.Now()
		ex.Run()
		if d := time.Since(start); d != 20*ms {
			t.Errorf("Run took %v of fake time, want 20ms", d)
		}
		if v, err := sel.Result(); err != nil || v.Index != 1 {
			t.Errorf("Select = %+v, %v; want winner 1 (10ms)", v, err)
		}
		if v, err := join.Result(); err != nil || len(v) != 2 {
			t.Errorf("Join = %v, %v", v, err)
		}
		for _, sl := range sleeps {
			if sl.timer == nil {
				t.Errorf("a Sleep polled by Run never started its timer")
			} else if sl.timer.Stop() {
				t.Errorf("a Sleep's timer was still running after Run returned: a leak")
			}
		}
	})
}
