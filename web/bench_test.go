package web

import (
	"io"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/wsproto"
)

// BenchmarkKeystrokeEcho compares one keystroke's round trip to an echoing
// SSH server directly (an SSH client over loopback TCP, as ssh does) with the
// same through the bridge (a WebSocket over loopback TCP to the bridge, which
// carries it over SSH to the same server). The difference is what the bridge
// adds. It reports the median and 99th percentile of the round trips.
//
//	go test -run '^$' -bench KeystrokeEcho -benchtime 5000x ./web
func BenchmarkKeystrokeEcho(b *testing.B) {
	f := newFixture(b, nil)

	b.Run("ssh", func(b *testing.B) {
		conn, cfg, err := f.ssh.dial("alice", nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		cc, chans, reqs, err := gossh.NewClientConn(conn, "bench", cfg)
		if err != nil {
			b.Fatal(err)
		}
		client := gossh.NewClient(cc, chans, reqs)
		defer client.Close()
		sess, err := client.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		in, _ := sess.StdinPipe()
		out, _ := sess.StdoutPipe()
		if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
			b.Fatal(err)
		}
		if err := sess.Shell(); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 1)
		roundTrips(b, func() {
			if _, err := in.Write([]byte{'k'}); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(out, buf); err != nil {
				b.Fatal(err)
			}
		})
	})

	b.Run("bridge", func(b *testing.B) {
		p := f.openPage(80, 24)
		defer p.ws.Close(websocket.StatusNormalClosure, "")
		key := []byte{wsproto.Input, 'k'}
		roundTrips(b, func() {
			p.send(key)
			for {
				msg, err := p.read()
				if err != nil {
					b.Fatal(err)
				}
				if msg[0] == wsproto.Output {
					return
				}
			}
		})
	})
}

func roundTrips(b *testing.B, once func()) {
	once() // warm up
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		once()
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
}
