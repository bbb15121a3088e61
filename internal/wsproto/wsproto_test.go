package wsproto

import (
	"bytes"
	"testing"
)

func TestResizeRoundTrip(t *testing.T) {
	for _, c := range []struct{ cols, rows int }{{80, 24}, {0, 0}, {65535, 1}} {
		msg := ResizeMessage(c.cols, c.rows)
		cols, rows, ok := ParseResize(msg)
		if !ok || cols != c.cols || rows != c.rows {
			t.Errorf("ParseResize(ResizeMessage(%d, %d)) = %d, %d, %v", c.cols, c.rows, cols, rows, ok)
		}
	}
	if got := ResizeMessage(100, 30); !bytes.Equal(got, []byte{Resize, 0, 100, 0, 30}) {
		t.Errorf("ResizeMessage(100, 30) = %v: not big-endian uint16s after the type", got)
	}
	for _, bad := range [][]byte{nil, {Resize}, {Resize, 0, 1, 0}, {Input, 0, 1, 0, 1}, {Resize, 0, 1, 0, 1, 0}} {
		if _, _, ok := ParseResize(bad); ok {
			t.Errorf("ParseResize(%v) accepted a message that is not a resize", bad)
		}
	}
}

func TestCloseRoundTrip(t *testing.T) {
	code, reason, ok := ParseClose(CloseMessage(4000, "the workspace session ended"))
	if !ok || code != 4000 || reason != "the workspace session ended" {
		t.Errorf("ParseClose(CloseMessage(4000, …)) = %d, %q, %v", code, reason, ok)
	}
	if _, _, ok := ParseClose([]byte{Close, 0x0f}); ok {
		t.Error("ParseClose accepted a message too short for its code")
	}
	if _, _, ok := ParseClose([]byte{Output, 0x0f, 0xa0}); ok {
		t.Error("ParseClose accepted an output message")
	}
}
