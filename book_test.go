package asyncbook_test

// The book checker.
//
// The book promises that every listing is cut from the real source and every
// output shown is what the program prints. The checker holds it to that. It
// reads every Markdown page under the book directory and reports, as
// problems naming file:line (paths relative to the repository root, which is
// the book directory's parent):
//
//   - an mdBook include, {{#include PATH}}, {{#include PATH:ANCHOR}} or a line
//     range PATH:N, PATH:N:M, PATH:N: or PATH::M (PATH relative to the page),
//     whose file is missing or outside the repository, whose anchor is
//     missing or empty, or whose lines are not in the file. Includes are
//     expanded everywhere, code blocks included, as mdBook does; an escaped
//     \{{#include ...}} is text and is left alone;
//   - in every file the book includes, an anchor marker (ANCHOR: name,
//     ANCHOR_END: name, anywhere in a line, as mdBook matches them) that is
//     not balanced: an end without a start, a name opened again before it
//     was closed, a start never closed;
//   - in SUMMARY.md, a link to a page that does not exist (draft entries,
//     [Title](), are fine), and any page under the book directory that
//     SUMMARY.md does not list;
//   - output blocks (```console blocks whose first line is `$ go run ./DIR
//     ...`) whose output differs from what the program prints (a number
//     written ~N stands for any number; every other number must match), and
//     console blocks that cannot be run and are not marked
//     <!-- check: skip REASON -->;
//   - the rules of bookrules_test.go: every fenced block is a listing,
//     checked output or marked as a diagram or sketch; listings are short
//     and captioned; diagram and console lines are narrow; no anchor marker
//     joins a doc comment.
//
// Running programs is the job of a runner, so the checker's tests can use a
// fake one; TestBook uses the real one, over the binaries TestMain built.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook"
	"github.com/google/go-cmp/cmp"
)

// blockTimeout bounds one run of a program for an output block (see
// timeBudget for the exceptions).
const blockTimeout = 20 * time.Second

// TestBook checks the book in book/ and runs every output block it shows
// against the chapter programs TestMain built, one parallel subtest per block.
func TestBook(t *testing.T) {
	hashSources(t)
	blocks, problems := loadBook(filepath.Join(programs.root, "book"))
	for _, p := range problems {
		t.Error(p)
	}
	run := programRunner(programs.root)
	for _, blk := range blocks {
		t.Run(fmt.Sprintf("%s:%d", path.Base(blk.file), blk.line), func(t *testing.T) {
			t.Parallel()
			for _, p := range checkOutput(blk, run) {
				t.Error(p)
			}
		})
	}
}

// A problem is one thing wrong with the book, at a line of a file.
type problem struct {
	file string // slash-separated, relative to the repository root
	line int    // 1-based
	msg  string
}

// String formats p as file:line: message, the form editors and go vet use.
func (p problem) String() string { return fmt.Sprintf("%s:%d: %s", p.file, p.line, p.msg) }

// A command is what an output block runs: the chapter program in Dir, run
// from the repository root with Args, its stdin either the bytes in Stdin
// (an empty pipe when there are none) or the file StdinFile.
type command struct {
	Dir       string   // the program's directory relative to the root, e.g. "ch01-models"
	Args      []string // arguments after the program's path
	Stdin     []byte   // from a `printf '...' |` prefix
	StdinFile string   // from a `< FILE` suffix: slash-separated, relative to the root
	Try       *tryIt   // from <!-- check: try ... -->: the program is built changed so
}

// A runner runs c and returns everything the program wrote to stdout and
// stderr, interleaved as a terminal would show it, and its exit code. An
// error means the program could not be run to completion (it is missing, or
// it timed out, or a signal killed it).
type runner func(c command) (output []byte, exitCode int, err error)

// An outputBlock is a ```console block that the checker runs.
type outputBlock struct {
	file      string // the page, relative to the repository root
	line      int    // the line of the `$ ` command
	shell     string // the command as shown, after "$ "
	cmd       command
	want      []string // the lines shown after the command; ~N stands for any number
	unordered bool     // lines are compared as a multiset
}

// checkBook checks the book in bookDir, running its output blocks one after
// the other with run, and returns every problem found, in file and line order.
// The repository root is bookDir's parent.
func checkBook(bookDir string, run runner) []problem {
	blocks, problems := loadBook(bookDir)
	for _, blk := range blocks {
		problems = append(problems, checkOutput(blk, run)...)
	}
	sortProblems(problems)
	return problems
}

// sortProblems sorts ps by file, then line, keeping the order of problems
// at the same line.
func sortProblems(ps []problem) {
	slices.SortStableFunc(ps, func(a, b problem) int {
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return a.line - b.line
	})
}

// loadBook reads every page under bookDir, makes every check that needs no
// program run, and returns the output blocks to run with the problems found.
func loadBook(bookDir string) ([]*outputBlock, []problem) {
	bookDir, err := filepath.Abs(bookDir)
	c := &checker{root: filepath.Dir(bookDir), bookDir: bookDir}
	if err == nil {
		c.res, err = mdbook.NewResolver(c.root)
	}
	if err != nil {
		c.report("book", 0, "%v", err)
		return c.blocks, c.problems
	}
	// The SUMMARY rules (every link leads to a page, every page is
	// listed) are mdbook's, shared with the renderer.
	pages := c.res.Listed(bookDir, c.res.Summary(bookDir))
	c.checkPage(filepath.Join(bookDir, "SUMMARY.md"))
	for _, p := range pages {
		c.checkPage(p)
	}
	c.checkDocAnchors()
	for _, p := range c.res.Problems {
		c.report(p.File, p.Line, "%s", p.Msg)
	}
	sortProblems(c.problems)
	return c.blocks, c.problems
}

// A checker accumulates what loadBook finds.
type checker struct {
	root     string // absolute; the repository root
	bookDir  string // absolute
	blocks   []*outputBlock
	problems []problem
	res      *mdbook.Resolver // resolves includes; holds the problems it finds
}

func (c *checker) report(file string, line int, format string, args ...any) {
	c.problems = append(c.problems, problem{file, line, fmt.Sprintf(format, args...)})
}

// rel returns the absolute path p relative to the root, slash-separated.
func (c *checker) rel(p string) string { return c.res.Rel(p) }

// inRoot reports whether the absolute path p, after following symbolic
// links, is inside the repository root.
func (c *checker) inRoot(p string) bool { return c.res.InRoot(p) }

// Anchor markers, as mdBook matches them (mdbook.AnchorStart, AnchorEnd).
var anchorStart, anchorEnd = mdbook.AnchorStart, mdbook.AnchorEnd

// splitLines splits s into lines as mdBook counts them (mdbook.SplitLines).
func splitLines(s string) []string { return mdbook.SplitLines(s) }

// checkPage checks the includes, code fences and output blocks of one page.
func (c *checker) checkPage(page string) {
	data, err := os.ReadFile(page)
	if err != nil {
		c.report(c.rel(page), 0, "%v", err)
		return
	}
	c.checkIncludes(page, string(data))
	lines := splitLines(string(data))
	c.checkBlocks(page, lines)
	c.checkAsides(page, lines)
}

// checkIncludes checks every include in the page text: its file exists in
// the repository, and its anchor or line range is in the file. The rules
// are mdbook.Resolver's, shared with the renderer.
func (c *checker) checkIncludes(page, text string) { c.res.CheckIncludes(page, text) }

// checkComment matches a check comment, the options line before a fence.
var checkComment = regexp.MustCompile(`^\s*<!--\s*check:(.*?)-->\s*$`)

// A fence is an open fenced code block.
type fence struct {
	line   int    // of the opening fence, 1-based
	marker string // the fence's run of ` or ~
	indent int    // spaces before the opening fence
	info   string // the info string
	body   []string
}

// checkBlocks finds the fenced code blocks in the page's lines and checks
// each one (fencedBlock), collecting the output blocks to run.
func (c *checker) checkBlocks(page string, lines []string) {
	where := c.rel(page)
	var f *fence
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		indent := len(l) - len(trimmed)
		if f != nil {
			if run := fenceRun(trimmed); strings.HasPrefix(run, f.marker) && strings.TrimSpace(trimmed[len(run):]) == "" {
				c.fencedBlock(page, lines, f)
				f = nil
				continue
			}
			n := min(indent, f.indent)
			f.body = append(f.body, l[n:])
			continue
		}
		if run := fenceRun(trimmed); run != "" {
			info := strings.TrimSpace(trimmed[len(run):])
			if run[0] == '`' && strings.Contains(info, "`") {
				continue // inline code, not a fence
			}
			f = &fence{line: i + 1, marker: run, indent: indent, info: info}
			continue
		}
		if checkComment.MatchString(l) {
			next := ""
			if i+1 < len(lines) {
				next = strings.TrimLeft(lines[i+1], " ")
			}
			if fenceRun(next) == "" {
				c.report(where, i+1, "a check comment goes on the line right before a fence")
			}
		}
	}
	if f != nil {
		c.report(where, f.line, "code block is never closed")
	}
}

// isConsole reports whether a fence's info string makes it a console block.
func isConsole(info string) bool {
	words := strings.Fields(info)
	return len(words) > 0 && words[0] == "console"
}

// fenceRun returns the run of three or more backticks or tildes that starts
// s, or "".
func fenceRun(s string) string {
	if len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return s[:n]
}

// consoleBlock checks one ```console block, whose fence f is on a page
// (where), with the options of its check comment, and records it for
// running if it is an output block.
func (c *checker) consoleBlock(where string, f *fence, opts checkOptions) {
	cmdLine := f.line + 1
	if opts.skip {
		return
	}
	const how = "an output block starts with `$ go run ./DIR ...`; mark a console block that is not one with <!-- check: skip REASON -->"
	if len(f.body) == 0 || !strings.HasPrefix(f.body[0], "$ ") {
		c.report(where, cmdLine, "%s", how)
		return
	}
	// A command too long for the page goes on several lines, each but the
	// last ending in a backslash, as a shell reads them.
	shell, n := strings.TrimPrefix(f.body[0], "$ "), 1
	for strings.HasSuffix(shell, "\\") && n < len(f.body) {
		shell = strings.TrimSuffix(shell, "\\") + f.body[n]
		n++
	}
	cmd, err := parseCommand(shell)
	if err != nil {
		c.report(where, cmdLine, "$ %s: %v; %s", shell, err, how)
		return
	}
	if cmd.StdinFile != "" {
		p := filepath.Join(c.root, filepath.FromSlash(cmd.StdinFile))
		if !c.inRoot(p) {
			c.report(where, cmdLine, "$ %s: %s is outside the repository", shell, cmd.StdinFile)
			return
		}
		if _, err := os.Stat(p); err != nil {
			c.report(where, cmdLine, "$ %s: no such file %s", shell, cmd.StdinFile)
			return
		}
	}
	if opts.try != nil {
		if !c.checkTry(where, opts.line, opts.try) {
			return
		}
		cmd.Try = opts.try
	}
	c.blocks = append(c.blocks, &outputBlock{
		file: where, line: cmdLine, shell: shell, cmd: cmd,
		want: f.body[n:], unordered: opts.unordered,
	})
}

// parseCommand parses the command of an output block (the text after "$ "):
//
//	[printf FORMAT |] go run ./DIR [ARG...] [< FILE]
//
// Words are split and quoted as a POSIX shell does; FORMAT is expanded as
// printf does, with no arguments; DIR and FILE are relative to the
// repository root. Anything else a shell would do (other operators,
// variables, globs) is an error, since the checker could not do the same.
func parseCommand(s string) (command, error) {
	var c command
	toks, err := shellSplit(s)
	if err != nil {
		return c, err
	}
	word := func(i int, want string) bool {
		return i < len(toks) && !toks[i].op && (want == "" || toks[i].text == want)
	}
	i := 0
	hasPrintf := false
	if word(0, "printf") {
		if !word(1, "") || len(toks) < 3 || !toks[2].op || toks[2].text != "|" {
			return c, errors.New("want printf 'FORMAT' | go run ...")
		}
		if c.Stdin, err = printfFormat(toks[1].text); err != nil {
			return c, err
		}
		hasPrintf = true
		i = 3
	}
	if !word(i, "go") || !word(i+1, "run") || !word(i+2, "") {
		return c, errors.New("not a go run command")
	}
	pkg := toks[i+2].text
	dir := path.Clean(strings.TrimPrefix(pkg, "./"))
	if !strings.HasPrefix(pkg, "./") || dir == "." || dir == ".." || strings.HasPrefix(dir, "../") {
		return c, fmt.Errorf("go run %s: want go run ./DIR, DIR a chapter directory (go run flags are not supported)", pkg)
	}
	c.Dir = dir
	for i += 3; i < len(toks); i++ {
		t := toks[i]
		switch {
		case !t.op:
			c.Args = append(c.Args, t.text)
		case t.text == "<" && word(i+1, "") && i+2 == len(toks):
			if hasPrintf {
				return c, errors.New("stdin from both printf and <")
			}
			c.StdinFile = path.Clean(toks[i+1].text)
			if path.IsAbs(c.StdinFile) {
				return c, fmt.Errorf("< %s: use a path relative to the repository root", c.StdinFile)
			}
			return c, nil
		default:
			return c, fmt.Errorf("%q: only `< FILE` may follow the arguments", t.text)
		}
	}
	return c, nil
}

// A token is a shell word, or an operator (| or <).
type token struct {
	text string
	op   bool
}

// shellSplit splits s into words as a POSIX shell does, with single quotes,
// double quotes and backslash escapes, and the operators | and <. It
// refuses what would need more of a shell: other operators, substitutions,
// globs, comments, home directories.
func shellSplit(s string) ([]token, error) {
	var (
		toks   []token
		word   strings.Builder
		inWord bool
	)
	flush := func() {
		if inWord {
			toks = append(toks, token{text: word.String()})
			word.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '|' || ch == '<':
			flush()
			toks = append(toks, token{text: string(ch), op: true})
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			word.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += 1 + j
		case ch == '"':
			inWord = true
			for i++; ; i++ {
				if i >= len(s) {
					return nil, errors.New("unterminated double quote")
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '$' || s[i] == '`' {
					return nil, fmt.Errorf("%q inside double quotes: substitutions are not supported", s[i])
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					i++
				}
				word.WriteByte(s[i])
			}
		case ch == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("backslash at the end of the line")
			}
			i++
			word.WriteByte(s[i])
			inWord = true
		case strings.IndexByte(">;&()$`*?[", ch) >= 0, !inWord && (ch == '#' || ch == '~'):
			return nil, fmt.Errorf("unquoted %q: only | and < are supported", ch)
		default:
			word.WriteByte(ch)
			inWord = true
		}
	}
	flush()
	return toks, nil
}

// printfFormat returns what printf prints for format with no arguments:
// the escapes \n \t \r \a \b \f \v \\ \' \" and \NNN (octal) are expanded
// and %% is %. Any other escape or conversion is an error.
func printfFormat(format string) ([]byte, error) {
	var b []byte
	for i := 0; i < len(format); i++ {
		switch ch := format[i]; ch {
		case '\\':
			i++
			if i >= len(format) {
				return nil, errors.New("printf: backslash at the end of the format")
			}
			if e := strings.IndexByte(`ntrabfv\'"`, format[i]); e >= 0 {
				b = append(b, "\n\t\r\a\b\f\v\\'\""[e])
				continue
			}
			if format[i] < '0' || format[i] > '7' {
				return nil, fmt.Errorf("printf: unsupported escape \\%c", format[i])
			}
			v, n := 0, 0
			for ; n < 3 && i < len(format) && format[i] >= '0' && format[i] <= '7'; n++ {
				v = v*8 + int(format[i]-'0')
				i++
			}
			i--
			b = append(b, byte(v))
		case '%':
			if i+1 >= len(format) || format[i+1] != '%' {
				return nil, errors.New("printf: conversions are not supported (write %% for %)")
			}
			i++
			b = append(b, '%')
		default:
			b = append(b, ch)
		}
	}
	return b, nil
}

// checkOutput runs an output block with run and compares what the program
// prints with what the block shows.
func checkOutput(blk *outputBlock, run runner) []problem {
	shell := blk.shell
	if blk.cmd.Try != nil {
		shell += " (try it: " + blk.cmd.Try.String() + ")"
	}
	out, code, err := run(blk.cmd)
	if errors.Is(err, errTimedOut) && blk.cmd.Try != nil {
		return []problem{{blk.file, blk.line, fmt.Sprintf("$ %s: the changed program hangs, and the page shows it ending: %v", shell, err)}}
	}
	if err != nil {
		return []problem{{blk.file, blk.line, fmt.Sprintf("$ %s: %v", shell, err)}}
	}
	got := string(out)
	if code != 0 {
		if got != "" && !strings.HasSuffix(got, "\n") {
			got += "\n"
		}
		got += fmt.Sprintf("exit status %d\n", code)
	}
	compare := func() (string, bool) { return compareOutput(blk.want, splitLines(got), blk.unordered) }
	if blk.cmd.Try != nil {
		compare = func() (string, bool) { return compareTry(blk.want, splitLines(got)) }
	}
	if diff, ok := compare(); !ok {
		mode := ""
		if blk.unordered {
			mode = " (any order)"
		}
		if blk.cmd.Try == nil {
			mode += " (-book +program)"
		}
		return []problem{{blk.file, blk.line, fmt.Sprintf("$ %s: the book shows other output than the program prints%s:\n%s", shell, mode, diff)}}
	}
	return nil
}

// number is what a number is in program output: digits, optional .digits.
const number = `[0-9]+(?:\.[0-9]+)?`

// tildeNumber is ~N inside a word.
var tildeNumber = regexp.MustCompile(`~` + number)

// varyingPattern returns an expression matching the lines that read like
// the shown line, each ~N in it standing for any number and the spaces
// around the word holding a ~N standing for any run of spaces (at least
// one, except at the start or end of the line), so that a column may widen
// or narrow. Everything else, every other number included, is literal.
func varyingPattern(line string) *regexp.Regexp {
	words := splitSpaces(line)
	var b strings.Builder
	b.WriteString("^")
	for i, w := range words {
		if w.space {
			flexible := (i > 0 && tildeNumber.MatchString(words[i-1].text)) ||
				(i+1 < len(words) && tildeNumber.MatchString(words[i+1].text))
			switch {
			case !flexible:
				b.WriteString(regexp.QuoteMeta(w.text))
			case i == 0 || i == len(words)-1:
				b.WriteString(" *")
			default:
				b.WriteString(" +")
			}
			continue
		}
		last := 0
		for _, m := range tildeNumber.FindAllStringIndex(w.text, -1) {
			b.WriteString(regexp.QuoteMeta(w.text[last:m[0]]))
			b.WriteString(number)
			last = m[1]
		}
		b.WriteString(regexp.QuoteMeta(w.text[last:]))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// A span is a run of spaces or a run of other characters.
type span struct {
	text  string
	space bool
}

// splitSpaces cuts s into alternating runs of spaces and of anything else.
func splitSpaces(s string) []span {
	var out []span
	for s != "" {
		sp := s[0] == ' '
		n := strings.IndexFunc(s, func(r rune) bool { return (r == ' ') != sp })
		if n < 0 {
			n = len(s)
		}
		out = append(out, span{s[:n], sp})
		s = s[n:]
	}
	return out
}

// compareOutput reports whether the program's lines got match the lines
// want shown in the book (exactly, except that ~N stands for any number),
// in order or as a multiset. If not, it returns a diff of want against got
// in which the lines of got that matched are shown as their want line, so
// only real differences stand out.
func compareOutput(want, got []string, unordered bool) (diff string, ok bool) {
	pats := make(map[string]*regexp.Regexp)
	matches := func(w, g string) bool {
		if !tildeNumber.MatchString(w) {
			return w == g
		}
		p, ok := pats[w]
		if !ok {
			p = varyingPattern(w)
			pats[w] = p
		}
		return p.MatchString(g)
	}
	shown := slices.Clone(got)
	ok = len(want) == len(got)
	if !unordered {
		for i := range min(len(want), len(got)) {
			if matches(want[i], got[i]) {
				shown[i] = want[i]
			} else {
				ok = false
			}
		}
	} else {
		pair := matchLines(want, got, matches)
		for w, g := range pair {
			if g >= 0 {
				shown[g] = want[w]
			} else {
				ok = false
			}
		}
		want = slices.Clone(want)
		slices.Sort(want)
		slices.Sort(shown)
	}
	if ok {
		return "", true
	}
	return cmp.Diff(want, shown), false
}

// matchLines pairs each want line with a distinct got line it matches, as
// many as can be paired (a maximum bipartite matching, found by augmenting
// paths), and returns for each want line the index of its got line or -1.
func matchLines(want, got []string, matches func(w, g string) bool) []int {
	pairW := make([]int, len(want))
	pairG := make([]int, len(got))
	for i := range pairW {
		pairW[i] = -1
	}
	for i := range pairG {
		pairG[i] = -1
	}
	var augment func(w int, seen []bool) bool
	augment = func(w int, seen []bool) bool {
		for g := range got {
			if seen[g] || !matches(want[w], got[g]) {
				continue
			}
			seen[g] = true
			if pairG[g] < 0 || augment(pairG[g], seen) {
				pairW[w], pairG[g] = g, w
				return true
			}
		}
		return false
	}
	for w := range want {
		augment(w, make([]bool, len(got)))
	}
	return pairW
}

// programRunner returns the runner TestBook uses: it runs the binary TestMain
// built for c.Dir, from root, for at most timeBudget(blockTimeout). Stdout and stderr share
// one pipe, so their lines interleave as they would in a terminal. Stdin is
// the file c.StdinFile, or a pipe holding c.Stdin (empty if there is none;
// a pipe, not /dev/null, which epoll refuses).
func programRunner(root string) runner {
	return func(c command) ([]byte, int, error) {
		exe, err := programPath(c.Dir)
		if err != nil {
			return nil, 0, err
		}
		if c.Try != nil {
			var cleanup func()
			if exe, cleanup, err = buildTry(root, c); err != nil {
				return nil, 0, err
			}
			defer cleanup()
		}
		out, code, err := runProgram(root, exe, c, timeBudget(blockTimeout))
		if errors.Is(err, errTimedOut) {
			hangSeen.Store(true)
		}
		return out, code, err
	}
}

// errTimedOut is wrapped by runProgram's error for a program that ran out
// of time.
var errTimedOut = errors.New("timed out")

// runProgram runs the program exe as the runner type describes.
func runProgram(root, exe string, c command, timeout time.Duration) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, c.Args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), raceEnv()...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out // the same writer: exec gives the child one pipe for both
	cmd.WaitDelay = 5 * time.Second
	// A group of its own, as the scripts' run gives: a timeout kills the
	// program and whatever it started, and so does the harness's cleanup
	// on the way out (liveGroups).
	cmd.SysProcAttr = newGroupAttr()
	cmd.Cancel = func() error { signalGroup(cmd.Process, killSignal); return nil }
	if c.StdinFile != "" {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(c.StdinFile)))
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		cmd.Stdin = f
	} else {
		cmd.Stdin = bytes.NewReader(c.Stdin) // not an *os.File, so exec makes a pipe
	}
	err := cmd.Start()
	if err == nil {
		liveGroups.Store(cmd.Process.Pid, cmd.Process)
		err = cmd.Wait()
		liveGroups.Delete(cmd.Process.Pid)
	}
	if ctx.Err() != nil {
		return nil, 0, fmt.Errorf("%w after %v; output so far:\n%s", errTimedOut, timeout, out.Bytes())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return out.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%v; output:\n%s", err, out.Bytes())
	}
	return out.Bytes(), 0, nil
}
