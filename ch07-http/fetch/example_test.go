package fetch_test

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// A Get is a future: BlockOn runs it on the runtime and waits for the
// whole response.
func ExampleClient_Get() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
	defer srv.Close()

	rt, err := sched.New(2)
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Shutdown()
	c := fetch.New(rt)
	defer c.CloseIdle()

	res, err := sched.BlockOn(rt, c.Get(srv.URL+"/todos/1"))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := res.Get()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Proto, resp.Status)
	fmt.Println(resp.Header.Get("Content-Type"))
	fmt.Println(string(resp.Body))
	// Output:
	// HTTP/1.1 200 OK
	// text/plain
	// hello from /todos/1
}

// All fetches many URLs at once, at most limit at a time, and yields the
// results in input order; a failed URL is a result with an error.
func ExampleClient_All() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "todo %s", r.URL.Path[len("/todos/"):])
	}))
	defer srv.Close()

	rt, err := sched.New(2)
	if err != nil {
		log.Fatal(err)
	}
	defer rt.Shutdown()
	c := fetch.New(rt)
	defer c.CloseIdle()

	urls := []string{srv.URL + "/todos/1", srv.URL + "/todos/2", "https://example.com/", srv.URL + "/todos/3"}
	for i, r := range c.All(urls, 2, time.Time{}) {
		if r.Err != nil {
			fmt.Println(i, "error; https:", errors.Is(r.Err, fetch.ErrHTTPS))
			continue
		}
		fmt.Println(i, r.Response.StatusCode, string(r.Response.Body))
	}
	// Output:
	// 0 200 todo 1
	// 1 200 todo 2
	// 2 error; https: true
	// 3 200 todo 3
}
