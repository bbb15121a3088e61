package workspace

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// DefaultGrace is how long a workspace outlives its last connection.
const DefaultGrace = 30 * time.Minute

// Manager keeps one live workspace per student, shared by all of that student's
// connections, and ends it a grace period after the last one detaches.
type Manager struct {
	open  func(ctx context.Context, username string) (*Workspace, error)
	grace time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	spaces map[string]*entry
	closed bool
}

type entry struct {
	ws    *Workspace
	views int
	timer *time.Timer // running while no view is attached
}

// NewManager returns a manager that builds workspaces with open.
func NewManager(open func(ctx context.Context, username string) (*Workspace, error), grace time.Duration, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if grace <= 0 {
		grace = DefaultGrace
	}
	return &Manager{open: open, grace: grace, log: log, spaces: map[string]*entry{}}
}

// Attach returns username's workspace, creating it if needed, and counts one more
// connection on it. The returned detach must be called exactly once, when that
// connection ends.
func (m *Manager) Attach(ctx context.Context, username string) (*Workspace, func(), error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, ErrClosed
	}
	e := m.spaces[username]
	if e == nil {
		// Build it outside the lock (it reads the journal), then check nobody
		// built one meanwhile.
		m.mu.Unlock()
		ws, err := m.open(ctx, username)
		if err != nil {
			return nil, nil, err
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			ws.Close()
			return nil, nil, ErrClosed
		}
		if e = m.spaces[username]; e == nil {
			e = &entry{ws: ws}
			m.spaces[username] = e
		} else {
			defer ws.Close()
		}
	}
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.views++
	ws := e.ws
	m.mu.Unlock()

	var once sync.Once
	return ws, func() { once.Do(func() { m.detach(username, e) }) }, nil
}

func (m *Manager) detach(username string, e *entry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.views--; e.views > 0 || m.closed {
		return
	}
	e.timer = time.AfterFunc(m.grace, func() { m.expire(username, e) })
}

// expire ends a workspace whose grace period ran out with no view back.
func (m *Manager) expire(username string, e *entry) {
	m.mu.Lock()
	if m.spaces[username] != e || e.views > 0 || m.closed {
		m.mu.Unlock()
		return
	}
	delete(m.spaces, username)
	m.mu.Unlock()
	if err := e.ws.Close(); err != nil {
		m.log.Warn("workspace closed with errors", "user", username, "err", err)
	}
	m.log.Info("workspace ended after its grace period", "user", username)
}

// Lookup returns username's live workspace, or nil when they have none (for
// a professor's live view: watching never creates or keeps a workspace).
func (m *Manager) Lookup(username string) *Workspace {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.spaces[username]; e != nil {
		return e.ws
	}
	return nil
}

// Live lists the students with a live workspace.
func (m *Manager) Live() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.spaces))
	for n := range m.spaces {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// EndAll ends every student's sessions with message (see Workspace.End): each
// of their views quits, saying it. The workspaces stay, for their grace period
// or until Shutdown, so nothing unsaved is lost. A view attached afterwards is
// not ended. It returns the number of live workspaces told.
func (m *Manager) EndAll(message string) int {
	m.mu.Lock()
	spaces := make([]*Workspace, 0, len(m.spaces))
	for _, e := range m.spaces {
		spaces = append(spaces, e.ws)
	}
	m.mu.Unlock()
	for _, ws := range spaces {
		ws.End(message)
	}
	return len(spaces)
}

// Shutdown journals and ends every workspace (the server is stopping).
func (m *Manager) Shutdown() error {
	m.mu.Lock()
	m.closed = true
	spaces := m.spaces
	m.spaces = map[string]*entry{}
	m.mu.Unlock()
	var errs []error
	for _, e := range spaces {
		if e.timer != nil {
			e.timer.Stop()
		}
		errs = append(errs, e.ws.Close())
	}
	return errors.Join(errs...)
}
