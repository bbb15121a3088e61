package web

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/classroomd/classroomd/internal/accounts"
)

// storeDown is the accounts service with its store gone: every call that
// needs the store fails, as accounts.Service's do then.
type storeDown struct {
	Sessions
	down atomic.Bool
}

var errStoreGone = errors.New("ping sqlite database: the database cannot be written")

func (s *storeDown) LoginWeb(ctx context.Context, username, password, remote string) (accounts.WebLogin, error) {
	if s.down.Load() {
		return accounts.WebLogin{LoginResult: accounts.LoginResult{Reason: "error"}}, nil
	}
	return s.Sessions.LoginWeb(ctx, username, password, remote)
}

func (s *storeDown) WebSession(ctx context.Context, token string) (accounts.WebSession, error) {
	if s.down.Load() {
		return accounts.WebSession{}, errStoreGone
	}
	return s.Sessions.WebSession(ctx, token)
}

// #16 case 1: with the store down the login page still loads, and a login
// is answered at once with a page that says why in a sentence (503, not a
// hang or a page without words); once the store is back the same login
// works.
func TestLoginWhileTheStoreIsDown(t *testing.T) {
	var sessions *storeDown
	f := newFixture(t, func(o *Options) {
		sessions = &storeDown{Sessions: o.Sessions}
		o.Sessions = sessions
	})
	signedIn := f.login() // a browser that signed in before
	sessions.down.Store(true)

	c := f.client()
	if resp, body := f.get(c, "/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "password") {
		t.Errorf("login page with the store down: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := f.get(signedIn, "/"); resp.StatusCode != http.StatusOK {
		t.Errorf("login page for a signed-in browser with the store down: %d\n%s", resp.StatusCode, body)
	}
	resp := f.post(c, "/login", url.Values{"username": {"alice"}, "password": {alicePassword}}, f.http.URL)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("login with the store down: %d, want 503", resp.StatusCode)
	}
	if !strings.Contains(html.UnescapeString(string(body)), msgStoreDown) {
		t.Errorf("the page does not say why signing in failed:\n%s", body)
	}

	sessions.down.Store(false)
	resp = f.post(c, "/login", url.Values{"username": {"alice"}, "password": {alicePassword}}, f.http.URL)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/term" {
		t.Errorf("login once the store is back: %d to %q, want 303 to /term", resp.StatusCode, resp.Header.Get("Location"))
	}
}
