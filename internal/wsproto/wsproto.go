// Package wsproto is the /ws protocol between the browser's page
// (web/static/term.js) and the server's bridge (web), which the load
// generator (internal/loadgen) speaks too: binary WebSocket messages whose
// first byte is the type and the rest the payload, raw (no base64).
package wsproto

import "encoding/binary"

// The message types: the first byte of every message.
const (
	Input  = 0 // page → server: keys and pastes, UTF-8
	Output = 1 // server → page: terminal output
	Resize = 2 // page → server: cols, rows (big-endian uint16 each); the first message
	Ping   = 3 // either way: the other end answers with Pong and the same payload
	Pong   = 4
	Pause  = 5 // page → server: the terminal is behind; stop sending output
	Resume = 6 // page → server: it caught up
	Close  = 7 // server → page: why the connection is about to close (close code, uint16, and a reason)
)

// ResizeMessage is the message saying the terminal is cols×rows.
func ResizeMessage(cols, rows int) []byte {
	msg := []byte{Resize, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(msg[1:3], uint16(cols))
	binary.BigEndian.PutUint16(msg[3:5], uint16(rows))
	return msg
}

// ParseResize reads a resize message's size; ok is false for a message of
// another type or length. The size is as sent: 0 included.
func ParseResize(data []byte) (cols, rows int, ok bool) {
	if len(data) != 5 || data[0] != Resize {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint16(data[1:3])), int(binary.BigEndian.Uint16(data[3:5])), true
}

// CloseMessage is the last message before the server closes: the close
// code and the reason.
func CloseMessage(code uint16, reason string) []byte {
	msg := make([]byte, 3, 3+len(reason))
	msg[0] = Close
	binary.BigEndian.PutUint16(msg[1:], code)
	return append(msg, reason...)
}

// ParseClose reads a close message; ok is false for a message of another
// type or one too short to hold a code.
func ParseClose(data []byte) (code uint16, reason string, ok bool) {
	if len(data) < 3 || data[0] != Close {
		return 0, "", false
	}
	return binary.BigEndian.Uint16(data[1:3]), string(data[3:]), true
}
