package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/coder/websocket"
)

// FuzzDecodeMessage feeds arbitrary WebSocket messages, as a hostile page
// could send them, to the bridge's decoder: no panic; a text message, an
// empty one or an unknown type is refused; input is carried byte for byte;
// a resize is within the bounds of a screen or ignored (#16 case 6).
func FuzzDecodeMessage(f *testing.F) {
	resize := func(c, r uint16) []byte {
		b := []byte{msgResize, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(b[1:], c)
		binary.BigEndian.PutUint16(b[3:], r)
		return b
	}
	for _, seed := range [][]byte{
		{msgInput, 'l', 's', '\r'}, {msgInput}, resize(80, 24), resize(0, 0), resize(65535, 65535), {msgResize, 1},
		{msgPing, 1, 2, 3}, {msgPong}, {msgPause}, {msgResume}, {msgOutput, 'x'}, {msgClose, 0x0f, 0xa0}, {}, {0xff},
		append([]byte{msgInput}, "\x1b[200~\x1b]52;c;AAAA\x07\xff\xfe\x1b[201~"...),
	} {
		f.Add(true, seed)
	}
	f.Add(false, []byte{msgInput, 'a'})
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
		fromPage := binaryMsg && len(data) > 0 && (data[0] == msgInput || data[0] == msgResize || data[0] == msgPing ||
			data[0] == msgPong || data[0] == msgPause || data[0] == msgResume)
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
		case msgInput, msgPing:
			if !bytes.Equal(m.payload, data[1:]) {
				t.Fatalf("payload %x, want %x", m.payload, data[1:])
			}
		case msgResize:
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
