package cli

import "testing"

// TestEscapeLeavesNoControlByte holds the guard of every error line: no
// byte below 0x20 (or DEL) survives, and a printable line is unchanged.
func TestEscapeLeavesNoControlByte(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain -addr \"x\": fine", "plain -addr \"x\": fine"},
		{"flag: -\x1b[31m", `flag: -\x1b[31m`},
		{"tab\there\x7f", `tab\there\x7f`},
		{"bad \xff utf-8", `bad \xff utf-8`},
		{"héllo\u2028", `héllo\u2028`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Printable("a\x1bb"); got != `"a\x1bb"` {
		t.Errorf("Printable quotes %q, want %q", got, `"a\x1bb"`)
	}
}
