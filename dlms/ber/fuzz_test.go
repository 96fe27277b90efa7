package ber

import (
	"bytes"
	"testing"
)

// node is a decoded element tree.
type node struct {
	tag      Tag
	contents []byte // primitive contents
	children []node // constructed contents, when they parse as elements
	parsed   bool
}

const maxDepth = 16

func parseAll(r Reader, depth int) ([]node, bool) {
	var out []node
	for !r.Empty() {
		t, c, err := r.Read()
		if err != nil {
			return nil, false
		}
		n := node{tag: t, contents: c.Rest()}
		if t.Constructed() && depth < maxDepth {
			n.children, n.parsed = parseAll(c, depth+1)
		}
		out = append(out, n)
	}
	return out, true
}

func build(b *Builder, nodes []node) {
	for _, n := range nodes {
		if n.parsed {
			m := b.Open(n.tag)
			build(b, n.children)
			b.Close(m)
			continue
		}
		b.AddElement(n.tag, n.contents)
	}
}

// FuzzBER reads any input as a sequence of elements (recursing into
// constructed ones), writes it back canonically, and checks that the
// canonical form reads back to the same tree and re-encodes identically.
func FuzzBER(f *testing.F) {
	for _, s := range []string{
		"601DA109060760857405080101BE10040E01000000065F1F0400621E5DFFFF",
		"6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000001802000007",
		"BE8203000401AA", "5F1F0400001E1D", "6203800100", "3080", "1F8181810100",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tree, ok := parseAll(NewReader(in), 0)
		if !ok {
			return
		}
		b := NewBuilder(nil)
		build(&b, tree)
		enc := b.Bytes()
		tree2, ok := parseAll(NewReader(enc), 0)
		if !ok {
			t.Fatalf("canonical form %x does not read back", enc)
		}
		b2 := NewBuilder(nil)
		build(&b2, tree2)
		if !bytes.Equal(enc, b2.Bytes()) {
			t.Fatalf("unstable:\n%x\n%x", enc, b2.Bytes())
		}
		if len(enc) > len(in) {
			t.Fatalf("canonical form %x longer than input %x", enc, in)
		}
	})
}
