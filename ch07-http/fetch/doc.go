// Package fetch is a small HTTP/1.1 client on the connections of chapter
// 6 (package tcp), and a fetcher that gets many URLs at once with it, as
// tasks on chapter 5's runtime (package sched).
//
// # The client
//
// Client.Get returns a future that sends one GET and reads the whole
// response into memory. It takes these steps, each of which may leave the
// future pending until the reactor wakes it:
//
//	start ─► resolve ─► dial ─► write ─► read ─► done
//	  │        (blocking pool)            │
//	  └─ kept connection ──────► write    └─ 3xx: start again at Location
//
// A host name is looked up on the runtime's blocking pool
// (sched.SpawnBlocking), because a lookup may block its thread. The
// response is parsed by a parser that does no I/O: it is fed whatever each
// read returns. It follows RFC 9112 strictly: a status line of exactly
// "HTTP/1.x NNN reason", header fields by net/textproto's rules, and a body
// framed by Transfer-Encoding: chunked (extensions ignored, trailers kept),
// by Content-Length, or by the end of the connection. A connection whose
// response was framed by its header, and did not say Connection: close, is
// kept for the next request to the same host.
//
// Every Get is bounded: MaxHeaderBytes and MaxBodyBytes cap what a server
// can make the client store, ConnectTimeout each dial and lookup, Timeout
// the whole Get. A response that breaks the rules ends the Get with a
// *ProtocolError that says how, and a Get never panics on what a server
// sends. Only plain http:// is spoken: an https:// URL fails with ErrHTTPS.
//
// # The fetcher
//
// Client.All fetches a list of URLs with at most a given number under way
// at once, and yields the results in the order of the list, each as soon
// as it and all before it are in.
//
// # Rules
//
// A Client may be shared by any number of tasks. Get's future belongs to
// the task that polls it. All must be called from outside the runtime: it
// blocks its goroutine while the tasks run.
package fetch
