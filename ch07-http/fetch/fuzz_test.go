package fetch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParse feeds the parser arbitrary bytes, under arbitrary limits,
// whole, cut in two at an arbitrary point and (for short inputs) one byte
// at a time. It checks that the parser never panics, that every call to
// feed takes at least one byte unless the response is over or broken
// (so no caller can loop for ever), that every way of feeding the same
// bytes gives the same outcome, and that a response it accepts holds no
// more body than maxBody and no more header than maxHeader.
//
// The seed corpus is in testdata/fuzz/FuzzParse, one file per response
// shape (go test runs it as a test); the cases of TestParse are added
// too. Run the fuzzer with
//
//	go test -run XXX -fuzz FuzzParse -fuzztime 60s ./ch07-http/fetch
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.in), uint16(len(c.in)/2), uint16(c.maxHeader), uint32(c.maxBody))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16, mh uint16, mb uint32) {
		// Limits from 1 byte of header and none of body up; 0 is the
		// Client's default, as in parseCase.
		maxHeader, maxBody := int(mh), int64(mb)
		if maxHeader == 0 {
			maxHeader = defMaxHeader
		}
		if mb == 0 {
			maxBody = defMaxBody
		}
		want, broken := parseChunks(maxHeader, maxBody, whole(in))
		if broken != nil {
			t.Fatalf("fed whole: %v", broken)
		}
		i := int(cut) % (len(in) + 1)
		got, broken := parseChunks(maxHeader, maxBody, [][]byte{in[:i], in[i:]})
		if broken != nil {
			t.Fatalf("cut at %d: %v", i, broken)
		}
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("cut at %d differs from whole (-whole +cut):\n%s", i, d)
		}
		if len(in) <= 4096 {
			got, broken := parseChunks(maxHeader, maxBody, bytewise(in))
			if broken != nil {
				t.Fatalf("byte by byte: %v", broken)
			}
			if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("byte by byte differs from whole (-whole +bytewise):\n%s", d)
			}
		}
		if want.Err != "" {
			return
		}
		if int64(len(want.Body)) > maxBody {
			t.Fatalf("body of %d bytes accepted, limit %d", len(want.Body), maxBody)
		}
		if n := headerBytes(want); n > maxHeader {
			t.Fatalf("status line, header and trailer of at least %d bytes accepted, limit %d", n, maxHeader)
		}
		if want.Consumed > len(in) {
			t.Fatalf("consumed %d bytes of %d", want.Consumed, len(in))
		}
		if want.Code < 100 || want.Code > 599 {
			t.Fatalf("status code %d accepted", want.Code)
		}
	})
}

// headerBytes is a lower bound of the bytes o's status line, header and
// trailer took on the wire: every byte of their text, without the
// separators.
func headerBytes(o outcome) int {
	n := len(o.Proto) + len(o.Status)
	for _, hd := range []map[string][]string{o.Header, o.Trailer} {
		for k, vs := range hd {
			for _, v := range vs {
				n += len(k) + len(v)
			}
		}
	}
	return n
}
