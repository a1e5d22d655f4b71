package asyncbook_test

import (
	"strings"
	"testing"
)

// TestScriptRules checks the rules checkScriptCommands holds scripts to,
// on small scripts that break each one, including the two deletions that
// once passed unnoticed: the cmp after ch04-crlf's exec, and the only
// stdout check of ch04-wake.
func TestScriptRules(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string // substrings of the problems, in order; none for a good script
	}{
		{"good", `
exec ch04-reactor
cmp stdout want.txt
! stderr .

! exec ch01-models nope.txt
stderr 'no such file'

run -status 2 ch01-models -bogus
stderr 'flag provided'

run -stdout out.txt ch01-models a.txt
cmp out.txt want.txt

run -stdout /dev/full -status 1 ch02-futures
stderr 'no space left'

[linux] exec ch04-reactor -wake
[linux] stdout 'wait: no timeout'
-- want.txt --
exec sh -c 'not a command: this is a file in the archive'
`, nil},
		{"crlf-without-cmp", `
stdin crlf.txt
exec ch04-reactor
! stderr .
`, []string{"t.txtar:3: exec ch04-reactor: check what it printed"}},
		{"wake-without-stdout", `
exec ch04-reactor -wake
! stderr .

exec ch04-reactor -timers
stdout 'sleeps'
`, []string{"t.txtar:2: exec ch04-reactor: check what it printed"}},
		{"failure-without-stderr", `
! exec ch01-models nope.txt
! stdout .
`, []string{"t.txtar:2: ! exec ch01-models: check its error message"}},
		{"status-without-stderr", `
run -status 2 ch01-models -bogus
! stdout .
`, []string{"t.txtar:2: run ch01-models: check its error message"}},
		{"cp-is-not-a-check", `
exec ch01-models a.txt
cp stdout got.txt
`, []string{"check what it printed"}},
		{"tools", `
exec sh -c 'ch01-models a.txt | head -n 1'
stdout x
[!exec:printf] skip 'needs printf'
exec printf 'a\r\n'
stdout x
`, []string{"t.txtar:2: exec sh: scripts run only chapter programs", "t.txtar:5: exec printf: scripts run only chapter programs"}},
		{"maybe-and-background", `
? exec ch01-models a.txt
exec ch04-reactor &
`, []string{"t.txtar:2: ? exec: say whether", "t.txtar:3: exec ... &: scripts run programs in the foreground"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkScriptCommands("t.txtar", []byte(tt.script))
			if len(got) != len(tt.want) {
				t.Fatalf("problems:\n%s\nwant %d containing %q", strings.Join(got, "\n"), len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
