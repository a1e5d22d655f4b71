package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// bookFetcher fetches with package fetch, on chapter 5's runtime: every
// fetch is a task, and the main goroutine only takes the results.
type bookFetcher struct {
	rt     *sched.Runtime
	client *fetch.Client
	cfg    config
}

// newBookFetcher starts a runtime of cfg.workers workers (with
// cfg.netpoll, sleeping in Go's netpoller) and a client on it, with
// cfg's limits.
func newBookFetcher(cfg config) (*bookFetcher, error) {
	rt, err := sched.New(cfg.workers)
	if errors.Is(err, reactor.ErrUnsupported) {
		return nil, fmt.Errorf("%w; -std runs without", err)
	}
	if err != nil {
		return nil, err
	}
	if cfg.netpoll {
		if err := rt.Reactor().UseNetpoller(); err != nil {
			rt.Shutdown()
			return nil, err
		}
	}
	c := fetch.New(rt)
	c.Timeout = cfg.timeout
	c.ConnectTimeout = cfg.connectTimeout
	c.MaxRedirects = cfg.maxRedirects
	c.MaxBodyBytes = cfg.maxBody
	c.MaxHeaderBytes = cfg.maxHeader
	c.MaxIdlePerHost = cfg.c
	return &bookFetcher{rt: rt, client: c, cfg: cfg}, nil
}

// ANCHOR: book-fetch

// fetch runs the URLs through Client.All, which spawns cfg.c tasks that
// take the URLs in turn, and hands each result to each in input order.
// Breaking out of the loop aborts the fetches still running.
func (b *bookFetcher) fetch(urls []string, each func(int, fetch.Result) bool) {
	var deadline time.Time
	if b.cfg.deadline > 0 {
		deadline = time.Now().Add(b.cfg.deadline)
	}
	for i, r := range b.client.All(urls, b.cfg.c, deadline) {
		if !each(i, r) {
			break
		}
	}
}

// ANCHOR_END: book-fetch

// close closes the idle connections and shuts the runtime down.
func (b *bookFetcher) close() error {
	b.client.CloseIdle()
	return b.rt.Shutdown()
}
