package dlms_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The dlms packages are pure: bytes in, bytes out. This test reads the
// source of every package under dlms/ and fails on what would break that:
// I/O packages, modules outside the dlms tree, reading the wall clock or
// waiting on it, goroutines, and printing to standard output.

// ownTree is the import path prefix the dlms packages may import beyond the
// standard library.
const ownTree = "github.com/openhes/hes/dlms"

// deniedStd are standard packages (and their subpackages) that do I/O.
var deniedStd = []string{"net", "os", "log", "syscall", "plugin", "io/ioutil", "C"}

// deniedCalls are package functions that read the wall clock, wait on it or
// write to standard output.
var deniedCalls = map[string][]string{
	"time": {"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "NewTimer", "NewTicker", "Tick"},
	"fmt":  {"Print", "Printf", "Println"},
}

// purityViolations returns what is wrong in one parsed file, each as
// "file:line: what".
func purityViolations(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, format string, args ...any) {
		p := fset.Position(pos)
		out = append(out, p.Filename+":"+strconv.Itoa(p.Line)+": "+fmt.Sprintf(format, args...))
	}
	local := map[string]string{} // local name -> import path, for deniedCalls
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			report(imp.Pos(), "bad import %s", imp.Path.Value)
			continue
		}
		for _, d := range deniedStd {
			if path == d || strings.HasPrefix(path, d+"/") {
				report(imp.Pos(), "imports %s", path)
			}
		}
		first, _, _ := strings.Cut(path, "/")
		if strings.Contains(first, ".") && path != ownTree && !strings.HasPrefix(path, ownTree+"/") {
			report(imp.Pos(), "imports %s, outside the standard library and the dlms tree", path)
		}
		if _, ok := deniedCalls[path]; ok {
			name := path
			if imp.Name != nil {
				name = imp.Name.Name
			}
			if name == "." {
				report(imp.Pos(), "dot-imports %s", path)
			}
			local[name] = path
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "starts a goroutine")
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				if path, ok := local[id.Name]; ok && slices.Contains(deniedCalls[path], n.Sel.Name) {
					report(n.Pos(), "uses %s.%s", path, n.Sel.Name)
				}
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				report(n.Pos(), "calls the builtin %s", id.Name)
			}
		}
		return true
	})
	return out
}

func TestPurityChecker(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings of the violations, in order
	}{
		{"clean", `package p
import (
	"fmt"
	"errors"
	"time"
	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)
var _ = errors.New
var _ dlms.OBIS
var _ axdr.Data
func f(t time.Time) time.Duration { return t.Sub(t.Add(time.Second)) }
func g(now func() time.Time) time.Time { return now() }`, nil},
		{"os", `package p; import "os"; var _ = os.Args`, []string{"imports os"}},
		{"net/http", `package p; import _ "net/http"`, []string{"imports net/http"}},
		{"log/slog", `package p; import "log/slog"; var _ = slog.Info`, []string{"imports log/slog"}},
		{"syscall", `package p; import "syscall"; var _ = syscall.Getpid`, []string{"imports syscall"}},
		{"third party", `package p; import "github.com/rs/zerolog"; var _ zerolog.Level`, []string{"imports github.com/rs/zerolog, outside"}},
		{"own module outside dlms", `package p; import "github.com/openhes/hes/meter"`, []string{"imports github.com/openhes/hes/meter, outside"}},
		{"prefix of dlms", `package p; import "github.com/openhes/hes/dlmsx"`, []string{"imports github.com/openhes/hes/dlmsx, outside"}},
		{"time.Now", `package p; import "time"; func f() time.Time { return time.Now() }`, []string{"uses time.Now"}},
		{"time.Now as a value", `package p; import "time"; var clock = time.Now`, []string{"uses time.Now"}},
		{"aliased time", `package p; import clk "time"; func f() { clk.Sleep(1); <-clk.After(1) }`, []string{"uses time.Sleep", "uses time.After"}},
		{"timers", `package p; import "time"; func f() { time.NewTimer(1); time.Tick(1); _ = time.Since(time.Time{}) }`,
			[]string{"uses time.NewTimer", "uses time.Tick", "uses time.Since"}},
		{"dot time", `package p; import . "time"; var _ Duration`, []string{"dot-imports time"}},
		{"goroutine", `package p; func f() { go func() {}() }`, []string{"starts a goroutine"}},
		{"printing", `package p; import "fmt"; func f() { fmt.Println(1); println(2) }`, []string{"uses fmt.Println", "calls the builtin println"}},
		{"fmt to a writer", `package p; import ("fmt"; "io"); func f(w io.Writer) { fmt.Fprintln(w, 1) }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", tt.src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			got := purityViolations(fset, f)
			if len(got) != len(tt.want) {
				t.Fatalf("violations %q, want %d matching %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) || !strings.HasPrefix(got[i], "x.go:") {
					t.Errorf("violation %q, want x.go:<line>: ...%s...", got[i], tt.want[i])
				}
			}
		})
	}
}

func TestPurity(t *testing.T) {
	fset := token.NewFileSet()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		files = append(files, filepath.ToSlash(path))
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("parse: %v", err)
			return nil
		}
		for _, v := range purityViolations(fset, f) {
			t.Errorf("dlms must stay pure: %s", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have seen this package and the ones below it.
	for _, want := range []string{"obis.go", "axdr/data.go"} {
		if !slices.Contains(files, want) {
			t.Errorf("the walk did not read %s (read %q)", want, files)
		}
	}
}
