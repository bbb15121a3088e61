package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/classroomd/classroomd/internal/accounts"
)

// Cookie names. Under TLS the __Host- prefix makes the browser insist on
// Secure, Path=/ and no Domain, so no other host can set or read it.
const (
	cookieName    = "classroomd_session"
	cookieNameTLS = "__Host-classroomd_session"
)

// Limits on what a login form may hold; anything longer is not a login.
const (
	maxFormBytes   = 8 << 10
	maxUsernameLen = 64
	maxPasswordLen = 1024
	// formReadTimeout bounds reading a login form's body.
	formReadTimeout = 30 * time.Second
)

// Messages a person reads on the login page.
const (
	msgMissing     = "Enter your username and your password."
	msgWrong       = "That username and password do not match. Check both (passwords are case-sensitive) and try again."
	msgSlowed      = "That username and password do not match. After several wrong passwords each new try waits a little longer, so take your time."
	msgUnavailable = "Signing in is not possible just now. Try again in a minute; if it keeps happening, tell your professor."
	// msgStoreDown answers a login that failed on the store (down, or
	// taking no writes): why, and that those already working are not hit.
	msgStoreDown = "Signing in is not possible just now: the server cannot use its database. Anyone already signed in can keep working. Try again in a minute; if it keeps happening, tell your professor."
	msgTooMany   = "Too many sign-in attempts from your network. Wait a minute, then try again."
	msgForeign   = "This sign-in form was sent from another site. Open this server's own address and sign in there."
	msgSignedOut = "You are signed out. Close this tab on a shared computer."
	msgExpired   = "Your sign-in has ended (it expires after 12 hours without use, or when your password changes). Sign in again."
)

func (s *Server) cookieName(r *http.Request) string {
	if s.secure(r) {
		return cookieNameTLS
	}
	return cookieName
}

// token is the browser's session token, or "".
func (s *Server) token(r *http.Request) string {
	c, err := r.Cookie(s.cookieName(r))
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, token string) {
	c := &http.Cookie{
		Name: s.cookieName(r), Value: token, Path: "/",
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode,
		// No Max-Age: the browser forgets it when it closes; the server ends it
		// after 12 hours without use.
	}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// session returns the browser's live session; accounts.ErrNoWebSession when it has none.
func (s *Server) session(r *http.Request) (accounts.WebSession, error) {
	token := s.token(r)
	if token == "" {
		return accounts.WebSession{}, accounts.ErrNoWebSession
	}
	return s.opts.Sessions.WebSession(r.Context(), token)
}

// loginData fills the login page.
type loginData struct {
	Username string
	Error    string
	Notice   string
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.session(r); err == nil {
		http.Redirect(w, r, "/term", http.StatusSeeOther)
		return
	}
	d := loginData{}
	switch r.URL.Query().Get("m") {
	case "signed-out":
		d.Notice = msgSignedOut
	case "expired":
		d.Notice = msgExpired
	}
	s.pages.render(w, "login.html", http.StatusOK, d)
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	remote := s.clientAddr(r)
	if !s.sameOrigin(r) {
		s.log.Warn("login refused: foreign origin", "remote", remote.String(), "origin", accounts.Printable(r.Header.Get("Origin")))
		s.pages.render(w, "login.html", http.StatusForbidden, loginData{Error: msgForeign})
		return
	}
	if !s.loginLimit.allow(remote.Addr(), time.Now()) {
		s.log.Warn("login refused: rate limit", "remote", remote.String())
		w.Header().Set("Retry-After", "60")
		s.pages.render(w, "login.html", http.StatusTooManyRequests, loginData{Error: msgTooMany})
		return
	}
	// A form trickled in a byte at a time must not hold the server forever.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(formReadTimeout))
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.pages.render(w, "login.html", http.StatusBadRequest, loginData{Error: msgMissing})
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	d := loginData{Username: username}
	if len(username) > maxUsernameLen || !utf8.ValidString(username) {
		d.Username = ""
	}
	if username == "" || password == "" {
		d.Error = msgMissing
		s.pages.render(w, "login.html", http.StatusBadRequest, d)
		return
	}
	if len(username) > maxUsernameLen || len(password) > maxPasswordLen {
		d.Error = msgWrong
		s.pages.render(w, "login.html", http.StatusUnauthorized, d)
		return
	}

	// The same check as an SSH login: bcrypt, throttling, audit. Throttling
	// may hold the answer back; a browser that gives up cancels it.
	res, err := s.opts.Sessions.LoginWeb(r.Context(), username, password, remote.String())
	switch {
	case err != nil && errors.Is(r.Context().Err(), context.Canceled):
		return // the browser went away
	case err != nil || res.Reason == "error":
		s.log.Error("web login failed", "user", accounts.Printable(username), "remote", remote.String(), "err", err)
		d.Error = msgStoreDown
		s.pages.render(w, "login.html", http.StatusServiceUnavailable, d)
		return
	case !res.OK:
		s.log.Info("web login refused", "user", accounts.Printable(username), "remote", remote.String(), "reason", res.Reason, "delay", res.Delay)
		d.Error = msgWrong
		if res.Delay > 0 {
			d.Error = msgSlowed
		}
		s.pages.render(w, "login.html", http.StatusUnauthorized, d)
		return
	}
	s.log.Info("web login", "user", res.Session.User.Username, "remote", remote.String(), "session", res.Session.ID)
	s.setCookie(w, r, res.Token)
	http.Redirect(w, r, "/term", http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		http.Error(w, msgForeign, http.StatusForbidden)
		return
	}
	if token := s.token(r); token != "" {
		if err := s.opts.Sessions.LogoutWeb(r.Context(), token, s.clientAddr(r).String()); err != nil {
			s.log.Error("web logout failed", "err", err)
			http.Error(w, "Signing out failed just now; try again in a moment, or close the browser.", http.StatusServiceUnavailable)
			return
		}
	}
	s.setCookie(w, r, "")
	http.Redirect(w, r, "/?m=signed-out", http.StatusSeeOther)
}

// termData fills the terminal page.
type termData struct {
	Username string
	CSRF     string // sent back with uploads (files.go)
}

func (s *Server) handleTerminalPage(w http.ResponseWriter, r *http.Request) {
	ws, err := s.session(r)
	if errors.Is(err, accounts.ErrNoWebSession) {
		target := "/"
		if s.token(r) != "" {
			target = "/?m=expired"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	} else if err != nil {
		s.log.Error("terminal page: session check failed", "err", err)
		http.Error(w, msgUnavailable, http.StatusServiceUnavailable)
		return
	}
	s.pages.render(w, "term.html", http.StatusOK, termData{Username: ws.User.Username, CSRF: s.csrfToken(s.token(r))})
}

// handleSession tells the terminal page whether it is still signed in, so that
// after a dropped connection it knows to reconnect or to go to the login page.
func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	ws, err := s.session(r)
	switch {
	case errors.Is(err, accounts.ErrNoWebSession):
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"signedIn": false})
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"signedIn": nil})
	default:
		json.NewEncoder(w).Encode(map[string]any{"signedIn": true, "user": ws.User.Username})
	}
}
