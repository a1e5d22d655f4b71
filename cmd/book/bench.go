package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
)

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
	for _, f := range files {
		if err := drawChart(root, f); err != nil {
			return err
		}
	}
	return nil
}

// drawChart draws the figure of the data file f beside it.
func drawChart(root, f string) error {
	data, err := os.ReadFile(f)
	if err != nil {
		return fmt.Errorf("book: %v", err)
	}
	d, err := figure.Parse(relTo(root, f), data)
	if err != nil {
		return err
	}
	svg, err := d.SVG()
	if err != nil {
		return err
	}
	out := strings.TrimSuffix(f, ".txt") + ".svg"
	if err := os.WriteFile(out, svg, 0o666); err != nil {
		return fmt.Errorf("book: %v", err)
	}
	fmt.Printf("drew %s from %s\n", relTo(root, out), relTo(root, f))
	return nil
}

// benchCmd reruns the command in the header of every data file, from the
// root, replaces the file's raw output and its machine line, and redraws
// its figure. The command runs through sh, as a reader would type it.
func benchCmd(root string) error {
	files, err := dataFiles(root)
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("book: %v", err)
		}
		d, err := figure.ParseHeader(relTo(root, f), data)
		if err != nil {
			return err
		}
		command := d.Header["command"]
		fmt.Printf("$ %s\n", command)
		cmd := exec.Command("sh", "-c", command)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %s: %v", relTo(root, f), command, err)
		}
		newData := withOutput(d, out.String())
		if _, err := figure.Parse(relTo(root, f), newData); err != nil {
			return fmt.Errorf("%v (the new output is not saved)", err)
		}
		if err := os.WriteFile(f, newData, 0o666); err != nil {
			return fmt.Errorf("book: %v", err)
		}
		if err := drawChart(root, f); err != nil {
			return err
		}
	}
	return nil
}

// withOutput returns d's header, its machine line made new, over output.
func withOutput(d *figure.Data, output string) []byte {
	cpu := "unknown cpu"
	for _, l := range strings.Split(output, "\n") {
		if c, ok := strings.CutPrefix(l, "cpu: "); ok {
			cpu = strings.TrimSpace(c)
		}
	}
	machine := fmt.Sprintf("# machine: %s, %d cores, %s %s/%s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	var b strings.Builder
	replaced := false
	for _, l := range d.HeaderLines {
		if strings.HasPrefix(l, "# machine:") {
			l, replaced = machine, true
		}
		b.WriteString(l + "\n")
		if !replaced && strings.HasPrefix(l, "# command:") {
			b.WriteString(machine + "\n")
			replaced = true
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
