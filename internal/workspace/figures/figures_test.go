package figures

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/files"
)

type fixture struct {
	dir     string
	store   *Store
	changed chan struct{}
	now     time.Time
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, Folder), 0o755); err != nil {
		t.Fatal(err)
	}
	home, err := files.OpenHome(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { home.Close() })
	f := &fixture{dir: dir, changed: make(chan struct{}, 100), now: time.Unix(1e9, 0)}
	o.Home = home
	o.OnChange = func() { f.changed <- struct{}{} }
	o.Now = func() time.Time { return f.now }
	f.store = New(o)
	t.Cleanup(f.store.Close)
	return f
}

func (f *fixture) write(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// settled waits until figure id is no longer Pending.
func (f *fixture) settled(t *testing.T, id uint64) Figure {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if fig := f.store.Get(id); fig.State != Pending {
			return fig
		}
		select {
		case <-f.changed:
		case <-deadline:
			t.Fatalf("figure %d still pending", id)
		}
	}
}

func TestShowDecodesAndScales(t *testing.T) {
	f := newFixture(t, Options{})
	f.write(t, "figures/python-1.png", pngOf(t, 640, 480))
	id, why := f.store.Show("figures/python-1.png")
	if id == 0 || why != "" {
		t.Fatalf("Show: %d %q", id, why)
	}
	fig := f.settled(t, id)
	if fig.State != Ready || fig.Width != 640 || fig.Height != 480 || fig.Image.Bounds().Dx() != MaxWidth || fig.Image.Bounds().Dy() != MaxHeight {
		t.Fatalf("got %+v", fig)
	}
}

func TestForgedNamesRefusedAtOnce(t *testing.T) {
	f := newFixture(t, Options{})
	for _, rel := range []string{
		"../bob/figures/x.png", "figures/../../etc/passwd", "/etc/passwd", "/home/alice/figures/x.png",
		"figures/sub/x.png", "figures/x.txt", "figures/.x.png", "notes.png", "", "figures/x\x1b[2J.png",
		"figures/" + strings.Repeat("a", 300) + ".png",
	} {
		id, why := f.store.Show(rel)
		if id != 0 || !strings.HasPrefix(why, "figure refused: ") {
			t.Errorf("%q: id %d, %q", rel, id, why)
		}
		if strings.ContainsAny(why, "\x1b") {
			t.Errorf("%q: the refusal carries a control character: %q", rel, why)
		}
	}
}

func TestFilesRefusedWhenRead(t *testing.T) {
	f := newFixture(t, Options{Keep: 20, MaxPending: 20, FloodBurst: 20})
	// 50 MB (sparse: nothing is read past the limit).
	big, err := os.Create(filepath.Join(f.dir, "figures", "big.png"))
	if err != nil {
		t.Fatal(err)
	}
	big.Write(pngMagic)
	big.Truncate(50 << 20)
	big.Close()
	f.write(t, "figures/text.png", []byte("print('hello')\n"))
	f.write(t, "figures/broken.png", append(append([]byte{}, pngMagic...), "garbage"...))
	f.write(t, "figures/huge.png", pngHeader(5000, 4000)) // 20 Mpx claimed
	os.Symlink("/etc/passwd", filepath.Join(f.dir, "figures", "link.png"))
	os.Mkdir(filepath.Join(f.dir, "figures", "dir.png"), 0o755)
	want := map[string]string{
		"figures/big.png":     "larger than 4 MiB",
		"figures/text.png":    "not a PNG",
		"figures/broken.png":  "not a PNG",
		"figures/huge.png":    "more than 16 million pixels",
		"figures/link.png":    "outside",
		"figures/dir.png":     "folder",
		"figures/missing.png": "not drawn",
	}
	for rel, msg := range want {
		id, why := f.store.Show(rel)
		if id == 0 {
			t.Fatalf("%s: refused before reading: %q", rel, why)
		}
		fig := f.settled(t, id)
		if fig.State != Refused || !strings.Contains(fig.Message, msg) || fig.Image != nil {
			t.Errorf("%s: %v %q, want refused with %q", rel, fig.State, fig.Message, msg)
		}
	}
}

// pngHeader is a PNG's signature and IHDR claiming w×h (no image data).
func pngHeader(w, h int) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	b := append([]byte{}, pngMagic...)
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

func TestFloodLimited(t *testing.T) {
	f := newFixture(t, Options{FloodBurst: 3, FloodEvery: time.Second, MaxPending: 100, Keep: 100})
	f.write(t, "figures/a.png", pngOf(t, 4, 4))
	var ids []uint64
	var msgs []string
	for range 50 { // a loop calling show(), all at one instant
		id, why := f.store.Show("figures/a.png")
		if id != 0 {
			ids = append(ids, id)
		}
		if why != "" {
			msgs = append(msgs, why)
		}
	}
	if len(ids) != 3 || len(msgs) != 1 || !strings.Contains(msgs[0], "too many figures") {
		t.Fatalf("drawn %d, told %q", len(ids), msgs)
	}
	f.now = f.now.Add(time.Second) // one more a second later, and the flood is over
	if id, why := f.store.Show("figures/a.png"); id == 0 || why != "" {
		t.Fatalf("after a second: %d %q", id, why)
	}
	f.now = f.now.Add(10 * time.Millisecond)
	if _, why := f.store.Show("figures/a.png"); !strings.Contains(why, "too many") {
		t.Fatalf("a new flood is told again: %q", why)
	}
}

func TestMemoryBound(t *testing.T) {
	data := pngOf(t, 640, 480)
	per := int64(MaxWidth*MaxHeight*4 + len(data)) // the scaled pixels and the file, kept for pixel protocols
	f := newFixture(t, Options{Keep: 10, MaxBytes: 3 * per, FloodBurst: 100, MaxPending: 100})
	f.write(t, "figures/a.png", data)
	var ids []uint64
	for range 8 {
		id, _ := f.store.Show("figures/a.png")
		f.settled(t, id)
		ids = append(ids, id)
		if n := f.store.Bytes(); n > 3*per {
			t.Fatalf("%d bytes kept, bound %d", n, 3*per)
		}
	}
	for i, id := range ids {
		want := Gone
		if i >= len(ids)-3 {
			want = Ready
		}
		if got := f.store.Get(id).State; got != want {
			t.Errorf("figure %d: %v, want %v", i, got, want)
		}
	}
	if got := f.store.Get(ids[len(ids)-1]).PNG; !bytes.Equal(got, data) {
		t.Errorf("a ready figure keeps its file for pixel protocols: %d bytes, want %d", len(got), len(data))
	}
	// And by count.
	g := newFixture(t, Options{Keep: 2, FloodBurst: 100, MaxPending: 100})
	g.write(t, "figures/a.png", pngOf(t, 8, 8))
	var last uint64
	for range 5 {
		last, _ = g.store.Show("figures/a.png")
		g.settled(t, last)
	}
	if g.store.Get(last-2).State != Gone || g.store.Get(last-1).State != Ready {
		t.Fatalf("keep 2: %v %v", g.store.Get(last-2).State, g.store.Get(last-1).State)
	}
}

// Show never waits for decoding: with every slot taken, it returns at
// once and the figures wait.
func TestShowDoesNotWaitForSlots(t *testing.T) {
	slots := NewSlots(1)
	slots.ch <- struct{}{} // taken by someone else's long decode
	f := newFixture(t, Options{Slots: slots})
	f.write(t, "figures/a.png", pngOf(t, 8, 8))
	done := make(chan uint64)
	go func() {
		id, _ := f.store.Show("figures/a.png")
		done <- id
	}()
	var id uint64
	select {
	case id = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Show waited for a decoding slot")
	}
	if f.store.Get(id).State != Pending {
		t.Fatal("decoded without a slot")
	}
	<-slots.ch
	if fig := f.settled(t, id); fig.State != Ready {
		t.Fatalf("got %+v", fig)
	}
}

func TestCloseEndsWaitingDecodes(t *testing.T) {
	slots := NewSlots(1)
	slots.ch <- struct{}{}
	f := newFixture(t, Options{Slots: slots})
	f.store.Show("figures/a.png")
	f.store.Close() // returns although the slot never frees
	if id, why := f.store.Show("figures/a.png"); id != 0 || why != "" {
		t.Fatalf("after Close: %d %q", id, why)
	}
}
