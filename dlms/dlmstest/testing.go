package dlmstest

import (
	"io/fs"
	"testing"
)

// MustLoad is Load for tests: it stops the test on error.
func MustLoad(tb testing.TB, fsys fs.FS, name string) *Session {
	tb.Helper()
	s, err := Load(fsys, name)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustLoadAll is LoadAll for tests: it stops the test on error or when
// fsys holds no session at all.
func MustLoadAll(tb testing.TB, fsys fs.FS) []*Session {
	tb.Helper()
	all, err := LoadAll(fsys)
	if err != nil {
		tb.Fatal(err)
	}
	if len(all) == 0 {
		tb.Fatal("dlmstest: no session files found")
	}
	return all
}
