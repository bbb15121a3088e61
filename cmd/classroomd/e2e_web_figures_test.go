package main

// Figures in the browser, end to end (#15): the real binary, Debian's
// chromium driven headless, the real matplotlib in the student's sandbox.
// Read it as a student's first plot:
//
//	log in in the browser                  the page draws figures itself (graphics=page)
//	F4, plt.plot([1,2,3]); plt.show()      ~/figures/python-1.png, named under the figure
//	the figure's rows                      the PNG itself laid over them (its own 640x480
//	                                       pixels, its colours), no block characters; its
//	                                       bytes fetched once, not through the WebSocket
//	60 lines of output scroll it           it moves with its rows, fetched no more
//	the PNG's link                         the same bytes as ~/figures/python-1.png, as
//	                                       image/png; another student's sign-in gets none
//	a click on the picture, or its name    the PNG opens in a tab of its own, at 640x480
//	the professor watching her, in a       the same picture in the live view; a click
//	browser too                            opens it from students/pia (her home, read-only)

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

const (
	piaPassword  = "line plots at noon 3"
	quinPassword = "bar charts at dawn 8"
	ruthPassword = "histograms at dusk 12"
)

func TestBrowserFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tests start real servers and a browser; skipped with -short")
	}
	ci := os.Getenv("CI") == "true"
	chromium := needChromium(t)
	if os.Geteuid() != 0 && !ci {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}

	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 385000}
	srv := h.startServer(t, b)
	for _, u := range []struct{ name, password, role string }{{"pia", piaPassword, "student"}, {"quin", quinPassword, "student"}, {"ruth", ruthPassword, "professor"}} {
		h.cli(t, cliOpts{stdin: u.password + "\n"}, append([]string{"user", "add", u.name, "--role", u.role, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	}
	base := "http://" + srv.httpAddr
	br := newBrowser(t, chromium, base)
	png := filepath.Join(b.dataDir, "homes", "pia", "figures", "python-1.png")
	const rel = "figures/python-1.png"

	// What the server sends the page, counted from CDP's WebSocket frames;
	// and the tabs the page opens.
	var wsBytes atomic.Int64
	var fetchesMu sync.Mutex
	fetches := map[string]int{} // figure → how many times the page asked for it
	fetched := func(rel string) int {
		fetchesMu.Lock()
		defer fetchesMu.Unlock()
		return fetches[rel]
	}
	if err := chromedp.Listen(br.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventWebSocketFrameReceived:
			wsBytes.Add(int64(len(ev.Response.PayloadData))) // decoded from CDP's base64
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(ev.Request.URL); err == nil && u.Path == "/files/download" {
				fetchesMu.Lock()
				fetches[u.Query().Get("path")]++
				fetchesMu.Unlock()
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	tabs := watchTabs(t, br)

	// A tall page: the Python pane gets rows enough for a figure of 15.
	br.do(t, chromedp.EmulateViewport(1280, 1200), chromedp.Navigate(base+"/"))
	br.login(t, "pia", piaPassword)
	br.waitState(t, "connected")
	br.waitScreen(t, "the workspace with welcome.py", func(s string) bool { return strings.Contains(s, "welcome.py") })
	if g := br.eval(t, `window.classroomd.graphics()`); g != "page" {
		t.Fatalf("the page draws figures as %q, want page (its own overlay)", g)
	}
	br.do(t, chromedp.Click(chromedp.CSS(`button[data-key="f4"]`)))
	br.waitScreen(t, "the Python prompt", func(s string) bool { return strings.Contains(s, ">>>") })
	// Python imports matplotlib once before the measured figure (the first
	// import builds its font cache and takes seconds).
	br.keys(t, "import matplotlib.pyplot as plt\r")
	br.waitScreen(t, "matplotlib imported", func(s string) bool { return strings.Count(s, ">>>") >= 2 })

	t.Run("plt_show_draws_the_png_in_the_page", func(t *testing.T) {
		before := wsBytes.Load()
		start := time.Now()
		br.keys(t, "plt.plot([1,2,3]); plt.show()\r")
		br.waitFor(t, "the figure's PNG laid over its rows", `(`+findFigureJS+`)() !== null`)
		shown := time.Since(start)
		var fig struct {
			X, Y, Top, Bottom, DrawnWidth, DrawnHeight float64
			Width, Height, Blue, Cols, Rows            int
			Src                                        string
		}
		if err := json.Unmarshal([]byte(br.eval(t, `JSON.stringify((`+findFigureJS+`)())`)), &fig); err != nil {
			t.Fatal(err)
		}
		br.waitScreen(t, "the line naming the PNG", func(s string) bool { return strings.Contains(s, "[figure saved: ~/"+rel+"]") })
		sent := wsBytes.Load() - before
		br.screenshot(t, "figure")
		t.Logf("the figure: %+v; in the page %v after Enter, %d bytes over the WebSocket meanwhile", fig, shown.Round(time.Millisecond), sent)

		data, err := os.ReadFile(png)
		if err != nil || !strings.HasPrefix(string(data), "\x89PNG\r\n\x1a\n") {
			t.Fatalf("~/%s is not a PNG: %v", rel, err)
		}
		// The PNG itself at its own resolution (not a copy scaled to the
		// cells), with its line's blue, drawn with the figure's aspect.
		if fig.Width != 640 || fig.Height != 480 {
			t.Errorf("the picture is %dx%d pixels, not the PNG's own 640x480", fig.Width, fig.Height)
		}
		if fig.Blue < 200 {
			t.Errorf("the picture has %d pixels of the plotted line's blue: not the figure", fig.Blue)
		}
		if fig.DrawnWidth < 150 || fig.DrawnHeight < 100 {
			t.Errorf("the picture is drawn %vx%v page pixels: not a figure's", fig.DrawnWidth, fig.DrawnHeight)
		} else if ratio := fig.DrawnWidth / fig.DrawnHeight; ratio < 1.25 || ratio > 1.42 {
			t.Errorf("the picture is drawn %vx%v: not the figure's 4:3", fig.DrawnWidth, fig.DrawnHeight)
		}
		if !strings.HasSuffix(fig.Src, "/files/download?inline=1&path="+url.QueryEscape(rel)) {
			t.Errorf("the picture is %q, not pia's own %s", fig.Src, rel)
		}
		// In the rows reserved for it: its bottom is above the line under them.
		var name struct{ X, Y float64 }
		if err := json.Unmarshal([]byte(br.eval(t, `JSON.stringify((`+findTextJS+`)("[figure saved: "))`)), &name); err != nil || name.Y == 0 {
			t.Fatalf("no line naming the figure: %v", err)
		}
		if fig.Bottom > name.Y {
			t.Errorf("the picture reaches %v, over the line naming it at %v", fig.Bottom, name.Y)
		}
		if s := br.screen(t); strings.ContainsAny(s, "▀▄") {
			t.Errorf("block characters on the screen of a page that draws pixels:\n%s", s)
		}
		// The PNG came once over HTTP, not through the WebSocket.
		if sent > int64(len(data))/2 {
			t.Errorf("%d bytes reached the page over the WebSocket while the figure was drawn: the PNG is %d", sent, len(data))
		}
		if n := fetched(rel); n != 1 {
			t.Errorf("the page fetched %s %d times, want once", rel, n)
		}
	})

	t.Run("the_png_is_served_to_its_student_only", func(t *testing.T) {
		data, err := os.ReadFile(png)
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(data)
		// From the page, as its link asks for it.
		got := br.eval(t, `(async () => {
			const r = await fetch(window.classroomd.figureURL(`+jsString(rel)+`));
			const b = await r.arrayBuffer();
			const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
			return [r.status, r.headers.get('content-type'), r.headers.get('x-content-type-options'), r.headers.get('cache-control'),
				Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('')].join(' ');
		})()`)
		if w := fmt.Sprintf("200 image/png nosniff no-store %s", hex.EncodeToString(want[:])); got != w {
			t.Errorf("the figure's link answers %q, want %q", got, w)
		}
		// Another student's sign-in names the same path in their own home:
		// nothing there, and never pia's bytes.
		quin := httpLogin(t, base, "quin", quinPassword)
		status, body := getWith(t, quin, base+"/files/download?"+url.Values{"inline": {"1"}, "path": {rel}}.Encode())
		if status != http.StatusNotFound || strings.Contains(body, "PNG") {
			t.Errorf("quin asking for %s: %d %.80q, want 404 and none of pia's figure", rel, status, body)
		}
		status, _ = getWith(t, &http.Client{Timeout: browserStep}, base+"/files/download?"+url.Values{"inline": {"1"}, "path": {rel}}.Encode())
		if status != http.StatusUnauthorized {
			t.Errorf("no sign-in asking for %s: %d, want 401", rel, status)
		}
	})

	wantURL := base + "/files/download?inline=1&path=" + url.QueryEscape(rel)
	// clickOpens clicks at x, y (after hovering until hover holds, if
	// set) and waits for b to open a tab at want.
	clickOpens := func(t *testing.T, b *browser, tabs *tabWatch, what string, x, y float64, hover, want string) {
		t.Helper()
		tabs.reset()
		if hover != "" {
			// As a hand does: over it first (xterm.js underlines the link),
			// then the click.
			b.do(t, chromedp.MouseEvent(chromedp.MouseMoved, x, y))
			b.waitFor(t, "the link under the mouse", hover)
		}
		b.do(t, chromedp.MouseClickXY(x, y))
		if !waitFor(browserStep, nil, func() bool { return slices.Contains(tabs.seen(), want) }) {
			t.Errorf("a click on %s opened no tab at %s; tabs seen: %q", what, want, tabs.seen())
		}
	}
	t.Run("a_click_on_the_picture_opens_the_png_in_a_tab", func(t *testing.T) {
		var at struct{ X, Y float64 }
		if err := json.Unmarshal([]byte(br.eval(t, `JSON.stringify((`+findFigureJS+`)())`)), &at); err != nil || at.X == 0 {
			t.Fatalf("no picture to click: %v", err)
		}
		clickOpens(t, br, tabs, "the picture", at.X, at.Y, "", wantURL)
	})
	t.Run("a_click_on_the_name_opens_it_too", func(t *testing.T) {
		var at struct{ X, Y float64 }
		if err := json.Unmarshal([]byte(br.eval(t, `JSON.stringify((`+findTextJS+`)(`+jsString("~/"+rel)+`))`)), &at); err != nil || at.X == 0 {
			t.Fatalf("the name is not on the screen: %v", err)
		}
		clickOpens(t, br, tabs, "the name", at.X, at.Y, `document.querySelector('.xterm-cursor-pointer') !== null`, wantURL)
	})

	// The professor watching pia in the browser sees her figure drawn the
	// same way, and a click opens it from her home (students/pia, the
	// professor's read-only view of it); no student gets it that way.
	t.Run("the_professor_watching_opens_it_from_her_home", func(t *testing.T) {
		prof := newBrowser(t, chromium, base)
		profTabs := watchTabs(t, prof)
		prof.do(t, chromedp.EmulateViewport(1280, 1200), chromedp.Navigate(base+"/"))
		prof.login(t, "ruth", ruthPassword)
		prof.waitState(t, "connected")
		prof.waitScreen(t, "the console", func(s string) bool { return strings.Contains(s, "1 Students") })
		prof.keys(t, "2")
		prof.waitScreen(t, "the Live page with pia", func(s string) bool { return strings.Contains(s, "Via") && strings.Contains(s, "pia") })
		prof.keys(t, "/pia")
		prof.waitScreen(t, "the Live page filtered on pia", func(s string) bool { return strings.Contains(s, "/ pia") })
		prof.keys(t, "\r")
		prof.waitScreen(t, "the filter kept", func(s string) bool { return !strings.Contains(s, "enter keep filter") })
		prof.keys(t, "\r")
		prof.waitScreen(t, "pia's live view", func(s string) bool { return strings.Contains(s, "Watching pia (they see it)") })
		prof.waitFor(t, "pia's figure in the live view", `(`+findFigureJS+`)() !== null`)
		prof.screenshot(t, "figure-live-view")
		var at struct {
			X, Y          float64
			Width, Height int
			Src           string
		}
		if err := json.Unmarshal([]byte(prof.eval(t, `JSON.stringify((`+findFigureJS+`)())`)), &at); err != nil {
			t.Fatal(err)
		}
		hers := "students/pia/" + rel
		theirs := base + "/files/download?inline=1&path=" + url.QueryEscape(hers)
		if at.Src != theirs || at.Width != 640 || at.Height != 480 {
			t.Errorf("the live view shows %q at %dx%d, want %s at 640x480", at.Src, at.Width, at.Height, theirs)
		}
		clickOpens(t, prof, profTabs, "the picture in the live view", at.X, at.Y, "", theirs)

		data, err := os.ReadFile(png)
		if err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(data)
		if got := prof.eval(t, `(`+fetchSumJS+`)(`+jsString(hers)+`)`); got != "200 image/png "+hex.EncodeToString(want[:]) {
			t.Errorf("the professor's link to pia's figure answers %q", got)
		}
		quin := httpLogin(t, base, "quin", quinPassword)
		if status, body := getWith(t, quin, theirs); status == http.StatusOK || strings.Contains(body, "PNG") {
			t.Errorf("a student asking for %s: %d %.80q, want a refusal", hers, status, body)
		}
	})
	// Output after the figure scrolls it up the pane line by line: it
	// moves with its rows and goes when they go, and its PNG is neither
	// fetched again nor sent through the WebSocket.
	t.Run("scrolling_moves_the_figure_without_sending_it_again", func(t *testing.T) {
		// A new figure, at the foot of a taller pane (a figure takes 3/4 of
		// the pane's rows): room to scroll up.
		// The clicks above opened tabs: the workspace's must be in front,
		// or the page draws no frames (requestAnimationFrame) to fit with.
		if _, err := chromedp.Call(br.ctx, page.BringToFront, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		br.do(t, chromedp.EmulateViewport(1280, 1800))
		br.waitFor(t, "the taller terminal", `window.classroomd.term.rows > 80`)
		const rel2 = "figures/python-2.png"
		br.keys(t, "plt.figure(); plt.plot([3,2,1]); plt.show()\r")
		br.waitFor(t, "the new figure", `(`+figureDrawnJS+`)(`+jsString("[figure saved: ~/"+rel2+"]")+`)`)
		data, err := os.ReadFile(filepath.Join(filepath.Dir(png), path.Base(rel2)))
		if err != nil {
			t.Fatal(err)
		}
		// The page notes every row the workspace places the figure at (its
		// OSC, seen before the page's own handler takes it): a count of the
		// moves that does not depend on how often the page gets to draw.
		br.eval(t, `(() => { window.__rows = []; const want = `+jsString(rel2)+`;
			window.classroomd.term.parser.registerOscHandler(7709, (d) => {
				const f = d.split(';');
				if (f[0] === 'place' && f.slice(6).join(';') === want && window.__rows[window.__rows.length - 1] !== f[2]) window.__rows.push(f[2]);
				return false; });
			return ''; })()`)
		sentBefore := wsBytes.Load()
		br.keys(t, "import time\r")
		br.keys(t, "for i in range(60): print('scrolled', i); time.sleep(0.05)\r\r") // a blank line ends the block
		br.waitScreen(t, "sixty lines printed", func(s string) bool { return strings.Contains(s, "scrolled 59") })
		br.waitFor(t, "the figure gone with its rows", `(`+findFigureJS+`)() === null`)
		rows := br.eval(t, `JSON.stringify(window.__rows)`)
		var seen []string
		if err := json.Unmarshal([]byte(rows), &seen); err != nil {
			t.Fatal(err)
		}
		moved := len(seen)
		if moved < 2 {
			t.Errorf("the workspace placed the figure at %d rows while 60 lines scrolled it (%s): it did not move with its rows", moved, rows)
		}
		if n := fetched(rel2); n != 1 {
			t.Errorf("the page fetched %s %d times, want once however far it scrolled", rel2, n)
		}
		sent := wsBytes.Load() - sentBefore
		if sent > int64(len(data)) {
			t.Errorf("%d bytes reached the page while 60 lines scrolled the figure away: the PNG is %d", sent, len(data))
		}
		t.Logf("60 lines scrolling the figure away: placed at rows %s, %d bytes over the WebSocket (the PNG: %d)", rows, sent, len(data))
	})
	if n, _ := strconv.Atoi(os.Getenv(figureRoundsE)); n > 0 {
		measureFigures(t, br, &wsBytes, filepath.Dir(png), n)
	}

	// What that tab shows: the figure at its own resolution (the page's
	// CSP and nosniff hold for it too). Last: it leaves the workspace page.
	t.Run("the_tab_shows_the_figure_at_full_resolution", func(t *testing.T) {
		br.do(t, chromedp.Navigate(wantURL))
		br.waitFor(t, "the image decoded", `document.images.length === 1 && document.images[0].complete && document.images[0].naturalWidth > 0`)
		if size := br.eval(t, `document.images[0].naturalWidth + "x" + document.images[0].naturalHeight`); size != "640x480" {
			t.Errorf("the tab shows a %s image, want matplotlib's 640x480", size)
		}
		br.screenshot(t, "figure-tab")
	})
}

// findTextJS finds text on the screen: the middle of its first cell in page
// coordinates, or null.
const findTextJS = `(want) => {
  const term = window.classroomd.term, buf = term.buffer.active;
  for (let row = 0; row < term.rows; row++) {
    const line = buf.getLine(buf.viewportY + row);
    const col = line ? line.translateToString(true).indexOf(want) : -1;
    if (col < 0) continue;
    const r = term.element.querySelector('.xterm-screen').getBoundingClientRect();
    return { x: r.left + (col + 1.5) * r.width / term.cols, y: r.top + (row + 0.5) * r.height / term.rows };
  }
  return null;
}`

// findFigureJS finds the first figure the page lays over the screen, once
// its PNG is loaded: the PNG's own size, how many of its pixels have the
// plotted line's blue (matplotlib's C0, #1f77b4), its box's top and bottom
// and the size it is drawn at within the box (object-fit: contain) in page
// pixels, and the middle of its first cell (to click it); null when none.
const findFigureJS = `() => {
  const cd = window.classroomd, term = cd.term;
  const f = cd.figures().find((f) => f.complete && f.naturalWidth > 0);
  if (!f) return null;
  const img = Array.from(document.querySelectorAll('.figure-layer img')).find((i) => i.src === f.src && !i.hidden);
  if (!img) return null;
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height).data;
  let blue = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (Math.abs(px[i] - 31) < 24 && Math.abs(px[i + 1] - 119) < 24 && Math.abs(px[i + 2] - 180) < 24) blue++;
  }
  const scale = Math.min(f.width / f.naturalWidth, f.height / f.naturalHeight);
  const r = term.element.querySelector('.xterm-screen').getBoundingClientRect();
  const cw = r.width / term.cols, ch = r.height / term.rows;
  return { x: r.left + (f.col + 0.5) * cw, y: r.top + (f.row + 0.5) * ch, top: f.y, bottom: f.y + f.height,
    drawnWidth: f.naturalWidth * scale, drawnHeight: f.naturalHeight * scale,
    width: f.naturalWidth, height: f.naturalHeight, blue, src: f.src, cols: term.cols, rows: term.rows };
}`

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// httpLogin signs user in with a Go client and returns it (its cookie jar holds the session).
func httpLogin(t *testing.T, base, user, password string) *http.Client {
	t.Helper()
	c := newCookieClient(t)
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"username": {user}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s over HTTP: %d", user, resp.StatusCode)
	}
	return c
}

func getWith(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

// newCookieClient is an HTTP client with a cookie jar that does not follow redirects.
func newCookieClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: browserStep,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// figureRoundsE names how many more figures TestBrowserFigures draws to
// measure them (BENCHMARKS.md); none by default.
const figureRoundsE = "CLASSROOMD_FIGURE_ROUNDS"

// measureFigures plots n figures one after the other in the Python pane and
// logs, for each, the time from Enter to its picture in the page, Python's
// own time for plt.plot and plt.show (rendering and saving the PNG), the
// PNG's fetch (request to last byte), the bytes the page received over the
// WebSocket meanwhile and the PNG's size. It measures; it
// checks nothing.
func measureFigures(t *testing.T, br *browser, wsBytes *atomic.Int64, figures string, n int) {
	var total, py, fetch []time.Duration
	var sent, sizes []int64
	br.keys(t, "import time\r")
	// The page notes when the workspace first places each figure (its OSC,
	// before the page's own handler) and when its PNG has loaded.
	br.eval(t, `(() => { window.__placed = {}; window.__loaded = {};
		window.classroomd.term.parser.registerOscHandler(7709, (d) => {
			const f = d.split(';'); if (f[0] === 'place') { const rel = f.slice(6).join(';'); window.__placed[rel] ??= performance.now(); }
			return false; });
		document.addEventListener('load', (e) => { if (e.target.tagName === 'IMG') window.__loaded[decodeURIComponent(e.target.src.split('path=')[1])] ??= performance.now(); }, true);
		return ''; })()`)
	var placed, loaded []time.Duration
	var last time.Time
	for i := range n {
		// Paced as a class plots, within the figure store's flood limit (a
		// burst of 5, then one a second), which a faster loop would meet.
		time.Sleep(time.Until(last.Add(1200 * time.Millisecond)))
		last = time.Now()
		name := fmt.Sprintf("figures/python-%d.png", i+3) // python-1 and -2 are the test's
		before := wsBytes.Load()
		br.eval(t, `String(window.__t0 = performance.now())`)
		start := time.Now()
		br.keys(t, fmt.Sprintf("t0 = time.perf_counter(); plt.plot(range(%d)); plt.show(); print('round', %d, 'took', round(time.perf_counter() - t0, 4))\r", i+3, i))
		br.waitFor(t, "the picture of "+name, `(`+figureDrawnJS+`)(`+jsString("[figure saved: ~/"+name+"]")+`)`)
		total = append(total, time.Since(start))
		var secs float64
		tag := fmt.Sprintf("round %d took ", i)
		br.waitScreen(t, "Python's own time", func(s string) bool {
			j := strings.Index(s, tag)
			if j < 0 {
				return false
			}
			_, err := fmt.Sscanf(s[j+len(tag):], "%g", &secs)
			return err == nil
		})
		py = append(py, time.Duration(secs*float64(time.Second)))
		// The PNG's fetch, from the page's resource timing.
		var ms float64
		fmt.Sscanf(br.eval(t, `String((performance.getEntriesByType('resource').filter((e) => e.name.endsWith(`+jsString(url.QueryEscape(name))+`)).pop() || {duration: -1}).duration)`), "%g", &ms)
		fetch = append(fetch, time.Duration(ms*float64(time.Millisecond)))
		var at struct{ Placed, Loaded float64 }
		json.Unmarshal([]byte(br.eval(t, `JSON.stringify({placed: window.__placed[`+jsString(name)+`] - window.__t0, loaded: window.__loaded[`+jsString(name)+`] - window.__t0})`)), &at)
		placed = append(placed, time.Duration(at.Placed*float64(time.Millisecond)))
		loaded = append(loaded, time.Duration(at.Loaded*float64(time.Millisecond)))
		sent = append(sent, wsBytes.Load()-before)
		if fi, err := os.Stat(filepath.Join(figures, path.Base(name))); err == nil {
			sizes = append(sizes, fi.Size())
		}
	}
	t.Logf("%d figures: Enter to picture %v; Python's plot+show %v; Enter to the workspace's place %v; Enter to the PNG loaded %v; the PNG's fetch %v; bytes over the WebSocket %v; PNG sizes %v", n, total, py, placed, loaded, fetch, sent, sizes)
}

// figureDrawnJS says whether the line text is on the screen with a figure
// laid over the rows just above it, its PNG loaded.
const figureDrawnJS = `(text) => {
  const cd = window.classroomd, term = cd.term, buf = term.buffer.active;
  for (let row = 1; row < term.rows; row++) {
    const line = buf.getLine(buf.viewportY + row);
    if (!line || line.translateToString(true).indexOf(text) < 0) continue;
    return cd.figures().some((f) => f.complete && f.naturalWidth > 0 && f.row + f.rows === row);
  }
  return false;
}`

// tabWatch records the URLs of the pages (tabs) a browser opens or navigates.
type tabWatch struct {
	mu   sync.Mutex
	urls []string
}

func watchTabs(t *testing.T, b *browser) *tabWatch {
	w := &tabWatch{}
	// New tabs are targets of the browser, seen from its own context.
	err := chromedp.ListenBrowser(b.ctx, func(ev any) {
		var info *target.Info
		switch ev := ev.(type) {
		case *target.EventTargetCreated:
			info = ev.TargetInfo
		case *target.EventTargetInfoChanged:
			info = ev.TargetInfo
		}
		if info != nil && info.Type == "page" {
			w.mu.Lock()
			w.urls = append(w.urls, info.URL)
			w.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *tabWatch) reset() {
	w.mu.Lock()
	w.urls = nil
	w.mu.Unlock()
}

func (w *tabWatch) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.urls)
}

// fetchSumJS fetches a figure's link from the page and answers its status,
// type and SHA-256.
const fetchSumJS = `async (rel) => {
  const r = await fetch(window.classroomd.figureURL(rel));
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await r.arrayBuffer()));
  return [r.status, r.headers.get('content-type'), Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('')].join(' ');
}`
