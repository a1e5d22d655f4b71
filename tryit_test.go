package asyncbook_test

// "Try it": a change the book invites the reader to make to a program, and
// what the changed program then prints. The page shows the output in a
// ```console block marked, on the line right before its fence,
//
//	<!-- check: try FILE EDIT... -->
//
// FILE is the file the reader changes, relative to the repository root, and
// each EDIT is one of
//
//	delete 'TEXT'        delete the one line of FILE that holds TEXT
//	replace 'OLD' 'NEW'  replace the one occurrence of OLD in FILE by NEW
//
// quoted as a shell quotes words. The edits are made in order, each on
// the result of the one before, and each must match exactly once: an edit
// that matches nothing, or more than one place, is reported, so a try-it
// cannot drift away from the code it changes. The checker builds the
// block's program with FILE changed (go build -overlay, so the repository
// is never touched), runs it as it runs any output block, with the same
// time limit (a changed program that hangs is a failure that says so),
// and compares its output with the block. In a try-it block, and only
// there, a line "..." stands for any run of lines, none included: a crash
// prints a goroutine trace full of addresses, and the page shows its head.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A tryIt is the change a page invites the reader to make: edits to one
// file, made in order.
type tryIt struct {
	File  string // slash-separated, relative to the repository root
	Edits []tryEdit
}

// A tryEdit is one edit of a tryIt.
type tryEdit struct {
	Delete bool   // delete the line holding Old; else replace Old by New
	Old    string // the text to find, exactly once
	New    string
}

// String describes t as the page's comment writes it.
func (t *tryIt) String() string {
	var b strings.Builder
	b.WriteString(t.File)
	for _, e := range t.Edits {
		if e.Delete {
			fmt.Fprintf(&b, " delete %q", e.Old)
		} else {
			fmt.Fprintf(&b, " replace %q %q", e.Old, e.New)
		}
	}
	return b.String()
}

// parseTry parses what follows "try" in a check comment: FILE EDIT...
func parseTry(s string) (*tryIt, error) {
	toks, err := shellSplit(s)
	if err != nil {
		return nil, err
	}
	const want = "want try FILE, then one or more of delete 'TEXT' and replace 'OLD' 'NEW'"
	words := make([]string, len(toks))
	for i, t := range toks {
		if t.op {
			return nil, fmt.Errorf("unquoted %q: %s", t.text, want)
		}
		words[i] = t.text
	}
	if len(words) < 3 {
		return nil, errors.New(want)
	}
	t := &tryIt{File: words[0]}
	if filepath.IsAbs(t.File) || strings.HasPrefix(filepath.Clean(t.File), "..") {
		return nil, fmt.Errorf("%s: give FILE relative to the repository root", t.File)
	}
	for i := 1; i < len(words); {
		switch {
		case words[i] == "delete" && i+1 < len(words):
			t.Edits = append(t.Edits, tryEdit{Delete: true, Old: words[i+1]})
			i += 2
		case words[i] == "replace" && i+2 < len(words):
			t.Edits = append(t.Edits, tryEdit{Old: words[i+1], New: words[i+2]})
			i += 3
		default:
			return nil, fmt.Errorf("%q: %s", words[i], want)
		}
		if e := t.Edits[len(t.Edits)-1]; e.Old == "" || strings.Contains(e.Old, "\n") {
			return nil, errors.New("the text an edit finds is one line, not empty")
		}
	}
	return t, nil
}

// apply returns src with t's edits made, or an error naming the first edit
// that does not match exactly once.
func (t *tryIt) apply(src string) (string, error) {
	for _, e := range t.Edits {
		if !e.Delete {
			if n := strings.Count(src, e.Old); n != 1 {
				return "", fmt.Errorf("replace %q: found %d times in %s, want once", e.Old, n, t.File)
			}
			src = strings.Replace(src, e.Old, e.New, 1)
			continue
		}
		lines := strings.SplitAfter(src, "\n")
		at, n := -1, 0
		for i, l := range lines {
			if strings.Contains(l, e.Old) {
				at, n = i, n+1
			}
		}
		if n != 1 {
			return "", fmt.Errorf("delete %q: %d lines of %s hold it, want one", e.Old, n, t.File)
		}
		src = strings.Join(append(lines[:at:at], lines[at+1:]...), "")
	}
	return src, nil
}

// checkTry checks that t's file is in the repository and that its edits
// apply, reporting at line of where if not.
func (c *checker) checkTry(where string, line int, t *tryIt) bool {
	p := filepath.Join(c.root, filepath.FromSlash(t.File))
	if !c.inRoot(p) {
		c.report(where, line, "<!-- check: try -->: %s is outside the repository", t.File)
		return false
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		c.report(where, line, "<!-- check: try -->: no such file %s", t.File)
		return false
	}
	if err != nil {
		c.report(where, line, "<!-- check: try -->: %v", err)
		return false
	}
	if _, err := t.apply(string(data)); err != nil {
		c.report(where, line, "<!-- check: try -->: %v", err)
		return false
	}
	return true
}

// buildTry builds the program c runs, in root, with c.Try's file changed,
// into a temporary directory, and returns the binary and a function that
// removes it.
func buildTry(root string, c command) (exe string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "asyncbook-try-")
	if err != nil {
		return "", nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	file := filepath.Join(root, filepath.FromSlash(c.Try.File))
	data, err := os.ReadFile(file)
	if err != nil {
		return "", nil, err
	}
	changed, err := c.Try.apply(string(data))
	if err != nil {
		return "", nil, err
	}
	edited := filepath.Join(dir, filepath.Base(file))
	if err := os.WriteFile(edited, []byte(changed), 0o666); err != nil {
		return "", nil, err
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {file: edited}})
	if err != nil {
		return "", nil, err
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o666); err != nil {
		return "", nil, err
	}
	exe = filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-overlay", ov, "-o", exe, "./"+c.Dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("go build ./%s with %s changed: %v\n%s", c.Dir, c.Try.File, err, out)
	}
	return exe, func() { os.RemoveAll(dir) }, nil
}

// compareTry is compareOutput for a try-it block: a want line "..."
// matches any run of got lines, and every other line as compareOutput
// matches it (~N stands for any number).
func compareTry(want, got []string) (diff string, ok bool) {
	line := func(w, g string) bool {
		_, ok := compareOutput([]string{w}, []string{g}, false)
		return ok
	}
	// m[i][j]: want[i:] matches got[j:].
	m := make([][]bool, len(want)+1)
	for i := range m {
		m[i] = make([]bool, len(got)+1)
	}
	m[len(want)][len(got)] = true
	for i := len(want) - 1; i >= 0; i-- {
		for j := len(got); j >= 0; j-- {
			if want[i] == "..." {
				m[i][j] = m[i+1][j] || (j < len(got) && m[i][j+1])
				continue
			}
			m[i][j] = j < len(got) && line(want[i], got[j]) && m[i+1][j+1]
		}
	}
	if m[0][0] {
		return "", true
	}
	// A diff of a pattern against a goroutine trace reads badly: show
	// both, the output cut to its first and last lines.
	shown := got
	if len(got) > 40 {
		shown = append(append(slices.Clone(got[:20]), "[... "+strconv.Itoa(len(got)-40)+" lines ...]"), got[len(got)-20:]...)
	}
	return fmt.Sprintf("the block (\"...\" is any lines):\n\t%s\nthe program printed:\n\t%s\n",
		strings.Join(want, "\n\t"), strings.Join(shown, "\n\t")), false
}
