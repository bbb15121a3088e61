package files

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// signalled waits up to d for a signal on ch; closed reports a closed channel.
func signalled(ch <-chan struct{}, d time.Duration) (got, closed bool) {
	select {
	case _, ok := <-ch:
		return ok, !ok
	case <-time.After(d):
		return false, false
	}
}

// quiet waits until the watcher has been silent for 200 ms, so that the
// next signal comes from the next change, not from the last one's events.
func quiet(ch <-chan struct{}) {
	for {
		if got, _ := signalled(ch, 200*time.Millisecond); !got {
			return
		}
	}
}

// sh runs a shell command in another process, as a program in the REPL would.
func sh(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

func TestWatch(t *testing.T) {
	for _, mode := range []string{"inotify", "poll"} {
		t.Run(mode, func(t *testing.T) {
			// With inotify, polling so slow it could not pass proves inotify works.
			poll := time.Hour
			if mode == "poll" {
				poll = 20 * time.Millisecond
			}
			w := newWorld(t, Options{PollInterval: poll})
			w.h.noInotify = mode == "poll"
			os.MkdirAll(filepath.Join(w.dir, "lab1", "deep"), 0o755)
			os.Mkdir(filepath.Join(w.dir, "closed"), 0o755)
			before := runtime.NumGoroutine()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := w.h.Watch(ctx, []string{"", "lab1", "lab1", "missing", WelcomeFile})
			if err != nil {
				t.Fatal(err)
			}
			const wait = 5 * time.Second

			// A program creates out.txt in the home.
			sh(t, w.dir, "echo hi > out.txt")
			if got, _ := signalled(ch, wait); !got {
				t.Fatal("no signal after another process created out.txt")
			}
			// ... and creates then deletes a file in lab1.
			quiet(ch)
			sh(t, w.dir, "touch lab1/x.py")
			if got, _ := signalled(ch, wait); !got {
				t.Fatal("no signal after lab1/x.py was created")
			}
			quiet(ch)
			sh(t, w.dir, "rm lab1/x.py")
			if got, _ := signalled(ch, wait); !got {
				t.Fatal("no signal after lab1/x.py was deleted")
			}
			// A burst of changes gives at most one pending signal.
			quiet(ch)
			sh(t, w.dir, "for i in 1 2 3 4 5 6 7 8 9 10; do touch f$i; done")
			if got, _ := signalled(ch, wait); !got {
				t.Fatal("no signal after a burst")
			}
			if mode == "inotify" {
				// Folders not asked for are not watched.
				quiet(ch)
				sh(t, w.dir, "touch closed/y.py lab1/deep/z.py")
				if got, _ := signalled(ch, 200*time.Millisecond); got {
					t.Error("a signal for folders that are not watched")
				}
			}

			cancel()
			deadline := time.Now().Add(wait)
			for {
				_, closed := signalled(ch, time.Until(deadline))
				if closed {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the channel was not closed after cancel")
				}
			}
			for runtime.NumGoroutine() > before {
				if time.Now().After(deadline) {
					t.Fatalf("goroutines: %d after cancel, %d before Watch", runtime.NumGoroutine(), before)
				}
				time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
			}
		})
	}
}

func TestWatchRefusesEscapes(t *testing.T) {
	w := newWorld(t, Options{})
	for _, rel := range []string{"..", "../bob", "/etc"} {
		if _, err := w.h.Watch(context.Background(), []string{".", rel}); !errors.Is(err, ErrOutsideHome) {
			t.Errorf("Watch(%q) = %v, want ErrOutsideHome", rel, err)
		}
	}
	// Links that lead out are skipped, never watched: changes in bob's home
	// give no signal.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := w.h.Watch(ctx, []string{"bobs", "outdir"})
	if err != nil {
		t.Fatal(err)
	}
	sh(t, w.bob, "touch new.py")
	if got, _ := signalled(ch, 200*time.Millisecond); got {
		t.Error("a change in bob's home reached alice's watcher")
	}
	os.Remove(filepath.Join(w.bob, "new.py"))
}
