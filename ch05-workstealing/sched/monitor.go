package sched

import "time"

// monitorTick is how often the monitor looks at the reactor while the
// runtime is busy. Go's sysmon polls the network if nobody has for 10ms
// (sysmon in runtime/proc.go).
const monitorTick = 10 * time.Millisecond

// monitorQuiet is how many ticks in a row the monitor must find every
// worker idle, one of them in the reactor, before it stops ticking.
const monitorQuiet = 5

// startMonitor starts the monitor goroutine, unless on is false.
func (rt *Runtime) startMonitor(on bool) {
	if !on {
		return
	}
	rt.monKick = make(chan struct{}, 1)
	rt.monStop = make(chan struct{})
	rt.monDone = make(chan struct{})
	go rt.monitor()
}

// ANCHOR: monitor

// monitor makes sure that no timer or descriptor waits for a worker
// that left the reactor while another worker sits idle: if nobody has
// been in the reactor for a whole tick, it hands the turn on. While all
// is quiet it sleeps, until a worker leaves the reactor or Shutdown.
func (rt *Runtime) monitor() {
	defer close(rt.monDone)
	tick := time.NewTimer(monitorTick)
	defer tick.Stop()
	out, quiet := false, 0
	for {
		select {
		case <-rt.monStop:
			return
		case <-tick.C:
		}
		polling := rt.polling.Load()
		all := rt.nidle.Load() == int32(len(rt.workers))
		switch {
		case polling && all:
			out, quiet = false, quiet+1
		case polling:
			out, quiet = false, 0
		case out: // nobody in the reactor for a whole tick
			quiet = 0
			rt.handOver()
		default:
			out, quiet = true, 0
		}
		if quiet >= monitorQuiet {
			if rt.sleepMonitor() {
				return
			}
			out, quiet = false, 0
		}
		tick.Reset(monitorTick)
	}
}

// ANCHOR_END: monitor

// ANCHOR: handover

// handOver gets an idle worker into the reactor. wakep wakes one from
// its token, as a spinner; if it finds no work, it parks, and the first
// worker to park takes the reactor's blocking turn. If a worker is
// spinning already, it will do the same; if none is idle, there is no
// worker to hand the turn to, and the busy ones look at the reactor
// every 61 polls.
func (rt *Runtime) handOver() {
	rt.hook(hookHandOver)
	rt.wakep()
}

// ANCHOR_END: handover

// ANCHOR: kick

// sleepMonitor waits, without ticking, for kickMonitor or Shutdown, and
// reports whether Shutdown ended the wait. It says it is asleep before it
// looks at polling one last time; kickMonitor clears polling before it
// looks at monAsleep: of a worker leaving the reactor and the monitor
// going to sleep, at least one sees the other.
func (rt *Runtime) sleepMonitor() (stop bool) {
	rt.monAsleep.Store(true)
	if !rt.polling.Load() {
		rt.monAsleep.Store(false)
		return false
	}
	select {
	case <-rt.monStop:
		return true
	case <-rt.monKick:
		// The kick may be stale: sent during an earlier call, between
		// its Store(true) and a look that found polling clear. Then
		// this call's Store(true) stands, and every worker leaving the
		// reactor would pay for a CAS and a send while we tick.
		rt.monAsleep.Store(false)
		return false
	}
}

// kickMonitor wakes the monitor if it sleeps. A worker calls it when it
// leaves the reactor: from then on, nobody may be in it. It costs one
// atomic load unless the monitor sleeps, which it does only after the
// whole runtime has been idle for a few ticks.
func (rt *Runtime) kickMonitor() {
	if rt.monAsleep.Load() && rt.monAsleep.CompareAndSwap(true, false) {
		select {
		case rt.monKick <- struct{}{}:
		default:
		}
	}
}

// ANCHOR_END: kick

// stopMonitor stops the monitor and waits for it; Shutdown calls it.
func (rt *Runtime) stopMonitor() {
	if rt.monStop == nil {
		return // there is no monitor
	}
	close(rt.monStop)
	<-rt.monDone
}
