// Package figures is a workspace's figure store (#15): the figures that
// Python's plt.show() saved in ~/figures and announced in its output.
//
// What we need: a figure appears in the Python pane where it was shown, in
// every view of the workspace, without slowing anyone's keystrokes, and
// without trusting the announcement, which student code can forge.
//
// What we do: the REPL calls Show, under its own lock and in output order,
// with the name the marker gave. Show only checks the name (a .png directly
// in figures/, nothing else), takes a token from the flood limit and hands
// the file to a goroutine of its own that waits for a decoding slot shared
// by every workspace (Slots): Show never blocks, and never touches the disk.
// The goroutine reads the file through the home's os.Root (files.Home:
// no .., no absolute path, no symlink out), refuses more than MaxFileBytes,
// more than MaxPixels or anything that is not a PNG, decodes it and scales
// it down to at most MaxWidth×MaxHeight, then tells the views (OnChange).
// Views ask Get for what to draw.
//
// Limits, stated plainly: the store keeps the last Keep figures whose
// scaled pixels and files (kept for terminals that draw pixels) fit in
// MaxBytes; an older figure's rows say it is no longer
// kept (the PNG stays in ~/figures). At most MaxPending figures wait to be
// decoded per workspace; beyond that, and beyond the flood limit (a burst
// of FloodBurst, then one every FloodEvery), a figure is not drawn and the
// pane says so once per flood. The check of the file's size is against
// what it holds when it is read: Python renames a whole file into place,
// so the read sees a complete figure or none.
package figures

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/classroomd/classroomd/internal/files"
)

// Bounds of one figure.
const (
	MaxFileBytes = 4 << 20  // the PNG's size
	MaxPixels    = 16 << 20 // its width × height
	MaxWidth     = 320      // the scaled copy kept for drawing
	MaxHeight    = 240
	Folder       = "figures"
)

// Defaults of Options.
const (
	DefaultKeep       = 6
	DefaultMaxBytes   = 2 << 20
	DefaultMaxPending = 4
	DefaultFloodBurst = 5
	DefaultFloodEvery = time.Second
)

// maxID is where ids wrap around (the REPL's tags hold ids below 0xFFFE).
const maxID = 0xFFF0

// State is where a figure is.
type State int

const (
	// Pending: being read and decoded.
	Pending State = iota
	// Ready: Image holds it, scaled.
	Ready
	// Refused: Message says why.
	Refused
	// Gone: no longer kept (or never known).
	Gone
)

// Figure is what a view draws for one figure.
type Figure struct {
	ID    uint64
	Path  string // relative to the home, e.g. figures/python-1.png
	State State
	// Image is the figure scaled to at most MaxWidth×MaxHeight, when Ready.
	// It is shared: never modify it.
	Image *image.RGBA
	// Width and Height are the PNG's own size, when Ready.
	Width, Height int
	// PNG is the file as read, when Ready: views whose terminal draws
	// pixels (kitty, iTerm2, sixel) send or decode it at full resolution.
	// It is shared: never modify it.
	PNG []byte
	// Message is why it was refused, a sentence for the student.
	Message string
}

// Slots bound the figures decoded at once, across every workspace.
type Slots struct{ ch chan struct{} }

// NewSlots returns n slots (at least 1).
func NewSlots(n int) *Slots { return &Slots{ch: make(chan struct{}, max(n, 1))} }

// Options build a Store.
type Options struct {
	Home     *files.Home
	Slots    *Slots // nil: one slot of the store's own
	OnChange func() // called, with no lock held, when a figure's state changed

	Keep       int           // figures kept (0: DefaultKeep)
	MaxBytes   int64         // their scaled pixels' and files' bytes (0: DefaultMaxBytes)
	MaxPending int           // waiting to be decoded (0: DefaultMaxPending)
	FloodBurst int           // shown at once (0: DefaultFloodBurst)
	FloodEvery time.Duration // then one per (0: DefaultFloodEvery)

	Now func() time.Time // tests (nil: time.Now)
}

// Store is one workspace's figures. It is safe for concurrent use.
type Store struct {
	o  Options
	wg sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	next     uint64
	figs     map[uint64]*Figure
	order    []uint64 // oldest first
	pending  int
	tokens   float64
	last     time.Time
	flooding bool // the pane was told: say nothing until the flood ends
	stop     chan struct{}
}

// New returns an empty store.
func New(o Options) *Store {
	if o.Slots == nil {
		o.Slots = NewSlots(1)
	}
	if o.Keep <= 0 {
		o.Keep = DefaultKeep
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.FloodBurst <= 0 {
		o.FloodBurst = DefaultFloodBurst
	}
	if o.FloodEvery <= 0 {
		o.FloodEvery = DefaultFloodEvery
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{o: o, figs: map[uint64]*Figure{}, tokens: float64(o.FloodBurst), last: o.Now(), stop: make(chan struct{})}
}

// CheckName returns why rel cannot name a figure ("" when it can): it must
// be a .png directly inside figures/, relative to the home.
func CheckName(rel string) string {
	if rel == "" || len(rel) > 255 || !utf8.ValidString(rel) || strings.IndexFunc(rel, unicode.IsControl) >= 0 {
		return "a figure must be a .png file in ~/figures"
	}
	dir, base := path.Split(rel)
	if dir != Folder+"/" || base == "" || base[0] == '.' || !strings.HasSuffix(base, ".png") || strings.ContainsAny(base, `\`) {
		return fmt.Sprintf("a figure must be a .png file in ~/figures, not %q", rel)
	}
	return ""
}

// Show is the REPL's: a marker named rel. It never blocks (see the package
// comment) and returns the figure's id, or a refusal for the pane, or
// neither (a flood the pane was told of).
func (s *Store) Show(rel string) (uint64, string) {
	if why := CheckName(rel); why != "" {
		return 0, "figure refused: " + why
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ""
	}
	now := s.o.Now()
	s.tokens = min(float64(s.o.FloodBurst), s.tokens+now.Sub(s.last).Seconds()/s.o.FloodEvery.Seconds())
	s.last = now
	if s.tokens < 1 || s.pending >= s.o.MaxPending {
		if s.flooding {
			return 0, ""
		}
		s.flooding = true
		return 0, fmt.Sprintf("too many figures at once (plt.show() in a loop?): the next ones are saved in ~/figures but not drawn, starting with ~/%s", rel)
	}
	s.flooding = false
	s.tokens--
	s.next = s.next%maxID + 1
	id := s.next
	if old, ok := s.figs[id]; ok { // wrapped around onto a figure still kept
		s.dropLocked(old.ID)
	}
	s.figs[id] = &Figure{ID: id, Path: rel, State: Pending}
	s.order = append(s.order, id)
	s.pending++
	s.wg.Add(1)
	go s.decode(id, rel)
	return id, ""
}

// Slot waits for one of the decoding slots shared by every workspace (or
// for stop to close) and returns its release; ok is false when stop closed
// first. Views take one to encode a figure for their terminal (a sixel),
// so that encodings too stay within the cores the slots allow.
func (s *Store) Slot(stop <-chan struct{}) (release func(), ok bool) {
	select {
	case s.o.Slots.ch <- struct{}{}:
		return func() { <-s.o.Slots.ch }, true
	case <-stop:
		return nil, false
	}
}

// Get returns figure id (State Gone when it is not kept).
func (s *Store) Get(id uint64) Figure {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.figs[id]; ok {
		return *f
	}
	return Figure{ID: id, State: Gone}
}

// Bytes is the memory the kept figures' pixels take.
func (s *Store) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytesLocked()
}

func (s *Store) bytesLocked() int64 {
	var n int64
	for _, f := range s.figs {
		if f.Image != nil {
			n += int64(len(f.Image.Pix))
		}
		n += int64(len(f.PNG))
	}
	return n
}

// Close stops the decoding and waits for it.
func (s *Store) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Store) decode(id uint64, rel string) {
	defer s.wg.Done()
	select {
	case s.o.Slots.ch <- struct{}{}:
	case <-s.stop:
		s.finish(id, nil, nil, 0, 0, "")
		return
	}
	img, data, w, h, err := load(s.o.Home, rel)
	<-s.o.Slots.ch
	msg := ""
	if err != nil {
		msg = fmt.Sprintf("figure ~/%s not drawn: %v", rel, err)
	}
	s.finish(id, img, data, w, h, msg)
}

func (s *Store) finish(id uint64, img *image.RGBA, data []byte, w, h int, msg string) {
	s.mu.Lock()
	s.pending--
	f, ok := s.figs[id]
	if ok && f.State == Pending {
		switch {
		case img != nil:
			f.State, f.Image, f.PNG, f.Width, f.Height = Ready, img, data, w, h
		case msg != "":
			f.State, f.Message = Refused, msg
		default:
			f.State = Gone
		}
	}
	s.evictLocked()
	closed := s.closed
	s.mu.Unlock()
	if ok && !closed && s.o.OnChange != nil {
		s.o.OnChange()
	}
}

// evictLocked drops the oldest figures beyond Keep and MaxBytes (never
// one still pending: its goroutine holds it).
func (s *Store) evictLocked() {
	for len(s.order) > 0 {
		over := len(s.order) > s.o.Keep || s.bytesLocked() > s.o.MaxBytes
		if !over {
			return
		}
		oldest := -1
		for i, id := range s.order {
			if s.figs[id].State != Pending {
				oldest = i
				break
			}
		}
		if oldest < 0 {
			return
		}
		s.dropLocked(s.order[oldest])
	}
}

func (s *Store) dropLocked(id uint64) {
	delete(s.figs, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// errNotPNG and errTooManyPixels are load's refusals.
var (
	errNotPNG        = errors.New("it is not a PNG image")
	errTooManyPixels = fmt.Errorf("it has more than %d million pixels", MaxPixels>>20)
)

// load reads, checks, decodes and scales one figure; it returns the file
// too.
func load(home *files.Home, rel string) (*image.RGBA, []byte, int, int, error) {
	if home == nil {
		return nil, nil, 0, 0, errors.New("no home")
	}
	data, err := home.ReadLimited(rel, MaxFileBytes)
	if err != nil {
		if errors.Is(err, files.ErrTooLarge) {
			return nil, nil, 0, 0, fmt.Errorf("it is larger than %s", files.FormatSize(MaxFileBytes))
		}
		return nil, nil, 0, 0, err
	}
	if !bytes.HasPrefix(data, pngMagic) {
		return nil, nil, 0, 0, errNotPNG
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, nil, 0, 0, errNotPNG
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, nil, 0, 0, errTooManyPixels
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("it is not a readable PNG image (%v)", err)
	}
	return Scale(img, MaxWidth, MaxHeight), data, cfg.Width, cfg.Height, nil
}

// Scale returns img scaled down (never up) to fit w×h, keeping its aspect,
// each pixel the average of the ones it covers, on white (a transparent
// figure background is white, as matplotlib's default).
func Scale(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if dw > w {
		dw, dh = w, max(1, sh*w/sw)
	}
	if dh > h {
		dw, dh = max(1, dw*h/dh), h
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range dh {
		y0, y1 := b.Min.Y+y*sh/dh, b.Min.Y+max((y+1)*sh/dh, y*sh/dh+1)
		for x := range dw {
			x0, x1 := b.Min.X+x*sw/dw, b.Min.X+max((x+1)*sw/dw, x*sw/dw+1)
			var r, g, bl, n uint64
			for yy := y0; yy < y1; yy++ {
				for xx := x0; xx < x1; xx++ {
					c := color.RGBAModel.Convert(img.At(xx, yy)).(color.RGBA)
					// Over white: premultiplied colour plus white times (1-alpha).
					r += uint64(c.R) + uint64(255-c.A)
					g += uint64(c.G) + uint64(255-c.A)
					bl += uint64(c.B) + uint64(255-c.A)
					n++
				}
			}
			out.SetRGBA(x, y, color.RGBA{uint8(r / n), uint8(g / n), uint8(bl / n), 255})
		}
	}
	return out
}
