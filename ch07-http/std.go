package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// The same fetcher the way Go programs usually do it: net/http's Client,
// a goroutine per URL, and errgroup.Group.SetLimit for the concurrency
// limit. Go's runtime does what the book's runtime does for package
// fetch (its netpoller parks a goroutine whose read would block), behind
// blocking calls. The limits and timeouts come from the same flags, so
// that both clients do the same job.

// stdFetcher fetches with net/http.
type stdFetcher struct {
	client *http.Client
	cfg    config
}

// newStdFetcher returns a fetcher whose http.Client takes its limits
// from cfg: a connection attempt gives up after cfg.connectTimeout, a
// URL after cfg.timeout, redirects included; at most cfg.maxRedirects
// are followed; a status line and header longer than cfg.maxHeader is
// an error; up to cfg.c idle connections per host are kept for reuse.
func newStdFetcher(cfg config) *stdFetcher {
	dialer := &net.Dialer{Timeout: cfg.connectTimeout}
	tr := &http.Transport{
		DialContext:            dialer.DialContext,
		MaxIdleConnsPerHost:    cfg.c,
		MaxResponseHeaderBytes: int64(cfg.maxHeader),
		IdleConnTimeout:        90 * time.Second,
		DisableCompression:     true, // the body's size as sent, as package fetch sees it
	}
	client := &http.Client{
		Transport: tr,
		Timeout:   cfg.timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			switch {
			case cfg.maxRedirects == 0:
				return http.ErrUseLastResponse // the 3xx is the answer
			case len(via) > cfg.maxRedirects:
				return fmt.Errorf("stopped after %d redirects", cfg.maxRedirects)
			}
			return nil
		},
	}
	return &stdFetcher{client: client, cfg: cfg}
}

// indexed is a URL's result and its place in the input.
type indexed struct {
	i int
	r fetch.Result
}

// ANCHOR: std-fetch

// fetch starts a goroutine per URL, at most cfg.c at once (errgroup's
// SetLimit: Go blocks while the limit is reached), and hands each
// result to each in input order. The goroutines send their results on a
// channel with room for all of them, so they never wait for the
// printing; the caller's goroutine puts them back in order.
func (s *stdFetcher) fetch(urls []string, each func(int, fetch.Result) bool) {
	ctx, cancel := context.WithCancel(context.Background())
	if s.cfg.deadline > 0 {
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), s.cfg.deadline)
	}
	defer cancel()
	results := make(chan indexed, len(urls))
	go func() {
		var g errgroup.Group
		g.SetLimit(s.cfg.c)
		for i, u := range urls {
			if ctx.Err() != nil { // past the deadline, or aborted
				results <- indexed{i, notStarted(ctx, u)}
				continue
			}
			g.Go(func() error {
				results <- indexed{i, s.get(ctx, u)}
				return nil // a failed URL is its result, not the group's error
			})
		}
		g.Wait()
		close(results)
	}()
	inOrder(results, len(urls), each, cancel)
}

// ANCHOR_END: std-fetch

// inOrder takes the n results from results, in any order, and hands
// them to each in input order, each as soon as it and all before it
// are in. If each returns false, it calls abort and drains results, so
// that no goroutine is left blocked.
func inOrder(results <-chan indexed, n int, each func(int, fetch.Result) bool, abort func()) {
	held := make(map[int]fetch.Result)
	next := 0
	for r := range results {
		held[r.i] = r.r
		for next < n {
			res, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			if !each(next, res) {
				abort()
				for range results {
				}
				return
			}
			next++
		}
	}
}

// notStarted is the result of a URL that was not fetched because the
// run's deadline had passed (or the run was aborted).
func notStarted(ctx context.Context, u string) fetch.Result {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fetch.ErrDeadline
	}
	return fetch.Result{URL: u, Err: &url.Error{Op: "Get", URL: u, Err: err}}
}

// get fetches u with net/http and reads its body, at most cfg.maxBody
// bytes of it, into a fetch.Result.
func (s *stdFetcher) get(ctx context.Context, u string) fetch.Result {
	start := time.Now()
	resp, err := s.getResponse(ctx, u)
	r := fetch.Result{URL: u, Response: resp, Elapsed: time.Since(start)}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded && errors.Is(err, context.DeadlineExceeded) {
			err = fetch.ErrDeadline // the run's deadline, not this URL's timeout
		}
		if _, ok := err.(*url.Error); !ok {
			err = &url.Error{Op: "Get", URL: u, Err: err}
		}
		r.Response, r.Err = nil, err
	}
	return r
}

// getResponse does the GET and turns net/http's response into package
// fetch's, so that the printer sees the same thing from both clients.
func (s *stdFetcher) getResponse(ctx context.Context, u string) (*fetch.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > s.cfg.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", fetch.ErrBodyTooLarge, s.cfg.maxBody)
	}
	redirects := 0
	for r := resp.Request; r.Response != nil; r = r.Response.Request {
		redirects++ // r was made to follow the redirect r.Response
	}
	var trailer textproto.MIMEHeader
	if len(resp.Trailer) > 0 {
		trailer = textproto.MIMEHeader(resp.Trailer)
	}
	return &fetch.Response{
		URL:        resp.Request.URL,
		Proto:      resp.Proto,
		StatusCode: resp.StatusCode,
		Status:     resp.Status,
		Header:     textproto.MIMEHeader(resp.Header),
		Trailer:    trailer,
		Body:       body,
		Redirects:  redirects,
	}, nil
}

// close closes the idle connections.
func (s *stdFetcher) close() error {
	s.client.CloseIdleConnections()
	return nil
}
