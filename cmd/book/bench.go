package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
)

// chartsPkg is the command that draws the charts. It is a command of its
// own, run with go run, so that serve and build do not compile the
// plotting library.
const chartsPkg = "github.com/asyncbook/asyncbook/cmd/book/charts"

// dataFiles returns the figures' data files: book/figures/*.txt.
func dataFiles(root string) ([]string, error) {
	cfg, err := loadConfig(root)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(root, cfg.Book.Src, "figures", "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errNoFigures
	}
	return files, nil
}

// chartsCmd redraws every figure from its data file.
func chartsCmd(root string) error {
	files, err := dataFiles(root)
	if err != nil {
		return err
	}
	return drawCharts(files)
}

// drawCharts runs the charts command on files, with go run, from the
// current directory (in the module). Its output goes to ours.
func drawCharts(files []string) error {
	cmd := exec.Command("go", append([]string{"run", chartsPkg}, files...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("book: go run %s: %v", chartsPkg, err)
	}
	return nil
}

// A benchRun is one distinct command of the data files' headers and the
// data files it makes.
type benchRun struct {
	command string
	files   []string
	headers []*figure.Data
	output  string
}

// benchCmd reruns the benchmarks behind the figures and redraws them. It
// works in steps, so that a failure leaves every data file as it was:
//
//  1. it reads every data file's header; a `# prepare:` line is a command
//     that must succeed first (it builds a server the benchmark runs);
//  2. it runs each prepare command once, then each distinct `# command:`
//     once, from the root through sh as a reader would type it, showing
//     [k/N] before each and copying the command's output to out as it
//     comes;
//  3. it checks that every data file can be drawn from its new output;
//  4. only then it writes the data files, each with its header and one
//     new machine line, and redraws the charts with draw.
func benchCmd(root string, out io.Writer, draw func(files []string) error) error {
	files, err := dataFiles(root)
	if err != nil {
		return err
	}
	var runs []*benchRun
	var prepares []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("book: %v", err)
		}
		d, err := figure.ParseHeader(relTo(root, f), data)
		if err != nil {
			return err
		}
		if p := d.Header["prepare"]; p != "" && !slices.Contains(prepares, p) {
			prepares = append(prepares, p)
		}
		command := d.Header["command"]
		i := slices.IndexFunc(runs, func(r *benchRun) bool { return r.command == command })
		if i < 0 {
			i = len(runs)
			runs = append(runs, &benchRun{command: command})
		}
		r := runs[i]
		r.files = append(r.files, f)
		r.headers = append(r.headers, d)
	}
	n, k := len(prepares)+len(runs), 0
	for _, p := range prepares {
		k++
		fmt.Fprintf(out, "[%d/%d] %s\n", k, n, p)
		if _, err := shell(root, p, io.Discard); err != nil {
			return fmt.Errorf("book bench: %s: %v (no data file was changed)", p, err)
		}
	}
	for _, r := range runs {
		k++
		fmt.Fprintf(out, "[%d/%d] %s\n", k, n, r.command)
		output, err := shell(root, r.command, out)
		if err != nil {
			return fmt.Errorf("book bench: %s: %v (no data file was changed)", r.command, err)
		}
		r.output = output
	}
	type write struct {
		file string
		data []byte
	}
	var writes []write
	for _, r := range runs {
		for i, f := range r.files {
			data := withOutput(r.headers[i], r.output)
			if _, err := figure.Parse(relTo(root, f), data); err != nil {
				return fmt.Errorf("%v (no data file was changed)", err)
			}
			writes = append(writes, write{f, data})
		}
	}
	var written []string
	for _, w := range writes {
		if err := os.WriteFile(w.file, w.data, 0o666); err != nil {
			return fmt.Errorf("book: %v", err)
		}
		written = append(written, w.file)
	}
	return draw(written)
}

// shell runs command through sh in dir, copying its standard output to
// also as it comes, and its standard error to ours. It returns the
// standard output.
func shell(dir, command string, also io.Writer) (string, error) {
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, also)
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	return out.String(), err
}

// withOutput returns d's header over output, with one machine line, made
// new, after the command line; any older machine lines are dropped.
func withOutput(d *figure.Data, output string) []byte {
	cpu := hostCPU()
	for _, l := range strings.Split(output, "\n") {
		if c, ok := strings.CutPrefix(l, "cpu: "); ok {
			cpu = strings.TrimSpace(c)
		}
	}
	machine := fmt.Sprintf("# machine: %s, %d cores, %s %s/%s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	var b strings.Builder
	for _, l := range d.HeaderLines {
		if strings.HasPrefix(l, "# machine:") {
			continue
		}
		b.WriteString(l + "\n")
		if strings.HasPrefix(l, "# command:") {
			b.WriteString(machine + "\n")
		}
	}
	b.WriteString(output)
	return []byte(b.String())
}

// relTo returns p relative to root, slash-separated, for messages.
func relTo(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

// hostCPU returns this machine's processor, as /proc/cpuinfo names it, for
// a command whose output has no cpu: line; or "unknown cpu".
func hostCPU() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown cpu"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown cpu"
}
