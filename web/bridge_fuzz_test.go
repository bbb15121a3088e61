package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/coder/websocket"

	"github.com/classroomd/classroomd/internal/wsproto"
)

// FuzzDecodeMessage feeds arbitrary WebSocket messages, as a hostile page
// could send them, to the bridge's decoder: no panic; a text message, an
// empty one or an unknown type is refused; input is carried byte for byte;
// a resize is within the bounds of a screen or ignored (#16 case 6).
func FuzzDecodeMessage(f *testing.F) {
	resize := func(c, r uint16) []byte {
		b := []byte{wsproto.Resize, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(b[1:], c)
		binary.BigEndian.PutUint16(b[3:], r)
		return b
	}
	for _, seed := range [][]byte{
		{wsproto.Input, 'l', 's', '\r'}, {wsproto.Input}, resize(80, 24), resize(0, 0), resize(65535, 65535), {wsproto.Resize, 1},
		{wsproto.Ping, 1, 2, 3}, {wsproto.Pong}, {wsproto.Pause}, {wsproto.Resume}, {wsproto.Output, 'x'}, {wsproto.Close, 0x0f, 0xa0}, {}, {0xff},
		append([]byte{wsproto.Input}, "\x1b[200~\x1b]52;c;AAAA\x07\xff\xfe\x1b[201~"...),
	} {
		f.Add(true, seed)
	}
	f.Add(false, []byte{wsproto.Input, 'a'})
	f.Fuzz(func(t *testing.T, binaryMsg bool, data []byte) {
		typ := websocket.MessageText
		if binaryMsg {
			typ = websocket.MessageBinary
		}
		orig := bytes.Clone(data)
		m, err := decodeMessage(typ, data)
		if !bytes.Equal(data, orig) {
			t.Fatalf("decodeMessage changed the data it read: %x -> %x", orig, data)
		}
		fromPage := binaryMsg && len(data) > 0 && (data[0] == wsproto.Input || data[0] == wsproto.Resize || data[0] == wsproto.Ping ||
			data[0] == wsproto.Pong || data[0] == wsproto.Pause || data[0] == wsproto.Resume)
		if !fromPage {
			if !errors.Is(err, errBadMessage) {
				t.Fatalf("decodeMessage(%v, %x) = %+v, %v; want errBadMessage", typ, data, m, err)
			}
			return
		}
		if err != nil || m.kind != data[0] {
			t.Fatalf("decodeMessage(%x) = %+v, %v; want a message of type %d", data, m, err, data[0])
		}
		switch m.kind {
		case wsproto.Input, wsproto.Ping:
			if !bytes.Equal(m.payload, data[1:]) {
				t.Fatalf("payload %x, want %x", m.payload, data[1:])
			}
		case wsproto.Resize:
			if (m.cols == 0) != (m.rows == 0) || m.cols < 0 || m.cols > maxCols || m.rows < 0 || m.rows > maxRows {
				t.Fatalf("resize %x decoded as %dx%d: not a screen and not ignored", data, m.cols, m.rows)
			}
			if len(data) == 5 {
				c, r := int(binary.BigEndian.Uint16(data[1:])), int(binary.BigEndian.Uint16(data[3:]))
				if c > 0 && r > 0 && (m.cols != min(c, maxCols) || m.rows != min(r, maxRows)) {
					t.Fatalf("resize to %dx%d decoded as %dx%d", c, r, m.cols, m.rows)
				}
			} else if m.cols != 0 {
				t.Fatalf("a resize of %d bytes (not 5) was obeyed: %dx%d", len(data), m.cols, m.rows)
			}
		}
	})
}
