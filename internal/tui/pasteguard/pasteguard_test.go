package pasteguard

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func guarded(t *testing.T, in string, limit int, oneByte bool) string {
	t.Helper()
	var r io.Reader = strings.NewReader(in)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	out, err := io.ReadAll(New(r, limit))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestGuard(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		limit          int
	}{
		{"keys pass as they are", "ab\x1b[A\x1b\x1bOQ\x03é", "ab\x1b[A\x1b\x1bOQ\x03é", 0},
		{"a plain paste", "x\x1b[200~hello\nworld\x1b[201~y", "x\x1b[200~hello\nworld\x1b[201~y", 0},
		// An OSC left open in the paste would swallow its end marker.
		{"escapes in a paste go", "\x1b[200~a\x1b]52;c;QUJD\x07b\x1bPq\x1b[31mc\x1b[201~k",
			"\x1b[200~a]52;c;QUJD\x07bPq[31mc\x1b[201~k", 0},
		{"a near end marker is text", "\x1b[200~a\x1b[201x\x1b[20\x1b[201~", "\x1b[200~a[201x[20\x1b[201~", 0},
		{"lone C1 bytes in a paste go, UTF-8 stays", "\x1b[200~\x9b2J\x9d0;t\x90ě€😀\xff\x1b[201~", "\x1b[200~2J0;tě€😀\xff\x1b[201~", 0},
		{"C1 bytes outside a paste pass (the decoder's)", "\x9b2J", "\x9b2J", 0},
		{"a paste over the limit is cut, the keys after it pass", "\x1b[200~0123456789\x1b[201~q", "\x1b[200~01234\x1b[201~q", 5},
		{"a second paste has its own limit", "\x1b[200~0123456\x1b[201~\x1b[200~abcdefg\x1b[201~", "\x1b[200~01234\x1b[201~\x1b[200~abcde\x1b[201~", 5},
		{"a paste that never ends is bounded", "\x1b[200~" + strings.Repeat("z", 100), "\x1b[200~zzzzz", 5},
	} {
		for _, oneByte := range []bool{false, true} {
			if got := guarded(t, c.in, c.limit, oneByte); got != c.want {
				t.Errorf("%s (one byte at a time: %v):\n got %q\nwant %q", c.name, oneByte, got, c.want)
			}
		}
	}
}

// A Read into a small buffer loses nothing: the end marker waits.
func TestSmallReads(t *testing.T) {
	g := New(strings.NewReader("\x1b[200~ab\x1b[201~cd"), 0)
	var out bytes.Buffer
	buf := make([]byte, 2)
	for {
		n, err := g.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if got := out.String(); got != "\x1b[200~ab\x1b[201~cd" {
		t.Errorf("got %q", got)
	}
}

// FuzzGuard: whatever a client sends, inside a paste nothing but the end
// marker starts with ESC, a paste passes at most the limit, and input with
// no paste in it passes unchanged.
func FuzzGuard(f *testing.F) {
	f.Add([]byte("\x1b[200~a\x1b]0;x\x1b[201~b"))
	f.Add([]byte("\x1b[200~\x9b\x1b[20\x1b[201~\x1b[200~"))
	f.Add([]byte("plain \x1b[A keys"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(New(iotest.HalfReader(bytes.NewReader(in)), 16))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(in, []byte(start)) && !bytes.Equal(out, in) {
			t.Fatalf("no paste in %q, yet it changed: %q", in, out)
		}
		rest := out
		for {
			i := bytes.Index(rest, []byte(start))
			if i < 0 {
				break
			}
			rest = rest[i+len(start):]
			body := rest
			if j := bytes.Index(rest, []byte(end)); j >= 0 {
				body, rest = rest[:j], rest[j+len(end):]
			} else {
				rest = nil
			}
			if bytes.IndexByte(body, 0x1b) >= 0 {
				t.Fatalf("an ESC inside a paste passed: %q (from %q)", body, in)
			}
			if len(body) > 16 {
				t.Fatalf("a paste of %d bytes passed the limit of 16: %q", len(body), body)
			}
		}
	})
}
